import { metrics as otelMetrics, type Attributes } from '@opentelemetry/api';

/**
 * Metric names of the stream processors, in one place (spec §10). When @zenthos/telemetry's
 * SDK is started in the process, the OpenTelemetry instruments below export through it; the
 * same values are served as Prometheus text on the processor's /metrics.
 */
export const streamMetricNames = {
  processingTimeMs: 'zenthos.worker.processing_time_ms',
  recordsIn: 'zenthos.streams.records_in',
  recordsOut: 'zenthos.streams.records_out',
  recordsDropped: 'zenthos.streams.records_dropped',
  recordsDeadLettered: 'zenthos.streams.records_dead_lettered',
  retries: 'zenthos.streams.retries',
  transactionsAborted: 'zenthos.streams.transactions_aborted',
  consumerLag: 'zenthos.streams.consumer_lag',
} as const;

const HISTOGRAM_BUCKETS_MS = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000];

const labelText = (labels: Attributes): string => {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, '_')}"`).join(',')}}`;
};
const promName = (name: string): string => name.replace(/\./g, '_');

/** Counters, a histogram and a gauge for one processor process. */
export interface StreamMetrics {
  add(
    name: (typeof streamMetricNames)[Exclude<keyof typeof streamMetricNames, 'processingTimeMs' | 'consumerLag'>],
    value: number,
    labels: Attributes,
  ): void;
  recordProcessingTime(ms: number, labels: Attributes): void;
  setLag(lag: number, labels: Attributes): void;
  /** Current value of a counter or gauge (tests, progress lines). */
  value(name: string, labels: Attributes): number;
  /** Prometheus text exposition format 0.0.4. */
  prometheus(): string;
}

/** Creates the processor's metrics. */
export function createStreamMetrics(): StreamMetrics {
  const meter = otelMetrics.getMeter('@zenthos/streams');
  const counters = new Map<string, ReturnType<typeof meter.createCounter>>();
  const histogram = meter.createHistogram(streamMetricNames.processingTimeMs, {
    unit: 'ms',
    description: 'time to process one poll batch',
  });
  const lagGauge = meter.createGauge(streamMetricNames.consumerLag, {
    description: 'records between the consumer position and the end of the partition',
  });
  const values = new Map<string, Map<string, number>>();
  const hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  const put = (name: string, labels: Attributes, f: (old: number) => number): void => {
    const byLabels = values.get(name) ?? new Map<string, number>();
    values.set(name, byLabels);
    const key = labelText(labels);
    byLabels.set(key, f(byLabels.get(key) ?? 0));
  };
  return {
    add(name, value, labels) {
      let c = counters.get(name);
      if (!c) counters.set(name, (c = meter.createCounter(name)));
      c.add(value, labels);
      put(name, labels, (old) => old + value);
    },
    recordProcessingTime(ms, labels) {
      histogram.record(ms, labels);
      const key = labelText(labels);
      const h = hist.get(key) ?? { buckets: HISTOGRAM_BUCKETS_MS.map(() => 0), sum: 0, count: 0 };
      HISTOGRAM_BUCKETS_MS.forEach((b, i) => {
        if (ms <= b) h.buckets[i] = (h.buckets[i] ?? 0) + 1;
      });
      h.sum += ms;
      h.count += 1;
      hist.set(key, h);
    },
    setLag(lag, labels) {
      lagGauge.record(lag, labels);
      put(streamMetricNames.consumerLag, labels, () => lag);
    },
    value: (name, labels) => values.get(name)?.get(labelText(labels)) ?? 0,
    prometheus() {
      const lines: string[] = [];
      for (const [name, byLabels] of values) {
        const n = promName(name);
        lines.push(`# TYPE ${n} ${name === streamMetricNames.consumerLag ? 'gauge' : 'counter'}`);
        for (const [labels, v] of byLabels) lines.push(`${n}${name === streamMetricNames.consumerLag ? '' : '_total'}${labels} ${v}`);
      }
      const n = promName(streamMetricNames.processingTimeMs);
      lines.push(`# TYPE ${n} histogram`);
      for (const [labels, h] of hist) {
        const inner = labels.slice(1, -1);
        const sep = inner ? ',' : '';
        HISTOGRAM_BUCKETS_MS.forEach((b, i) => lines.push(`${n}_bucket{${inner}${sep}le="${b}"} ${h.buckets[i]}`));
        lines.push(`${n}_bucket{${inner}${sep}le="+Inf"} ${h.count}`, `${n}_sum${labels} ${h.sum}`, `${n}_count${labels} ${h.count}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
