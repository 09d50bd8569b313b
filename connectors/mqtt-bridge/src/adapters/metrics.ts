/**
 * The bridge's metrics (spec §10). Names are the OpenTelemetry names shared with
 * @zenthos/telemetry's `metricNames`; they live here in one place so that moving the
 * recording onto the shared OpenTelemetry meter is one edit. Exposed on /metrics in the
 * Prometheus text format with the exporter's naming (dots → underscores, counters `_total`).
 */
export const bridgeMetricNames = {
  messagesIngested: 'zenthos.middleware.messages_ingested',
  ingestLatencyMs: 'zenthos.middleware.ingest_latency_ms',
  messagesInvalid: 'zenthos.middleware.messages_invalid',
  messagesRefused: 'zenthos.middleware.messages_refused',
  connectedDevices: 'zenthos.middleware.connected_devices',
  dlqMessages: 'zenthos.dlq.messages',
} as const;

type Labels = Readonly<Record<string, string>>;

/** What the bridge records. */
export interface BridgeMetrics {
  ingested(labels: { kind: string; device_model: string }, latencyMs: number): void;
  invalid(labels: { kind: string; reason: string }): void;
  refused(labels: { reason: string }): void;
  connected(delta: 1 | -1): void;
  /** Current value of a counter (tests and the benchmark read it). */
  count(name: keyof typeof bridgeMetricNames, labels?: Labels): number;
  /** Prometheus text exposition. */
  render(): string;
}

// Histogram buckets in milliseconds: sub-millisecond to Kafka's request timeout.
const BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000];

const promName = (name: string, counter: boolean): string => {
  const base = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return counter && !base.endsWith('_total') ? `${base}_total` : base;
};
const labelKey = (labels: Labels): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}="${String(labels[k]).replace(/["\\\n]/g, '_')}"`)
    .join(',');

/** In-process metrics with Prometheus text output. */
export function createBridgeMetrics(): BridgeMetrics {
  const counters = new Map<string, Map<string, number>>();
  const histogram = new Map<string, { buckets: number[]; sum: number; count: number }>();
  let connected = 0;

  const add = (name: string, labels: Labels, by = 1): void => {
    let series = counters.get(name);
    if (!series) counters.set(name, (series = new Map()));
    const key = labelKey(labels);
    series.set(key, (series.get(key) ?? 0) + by);
  };

  return {
    ingested(labels, latencyMs) {
      add(bridgeMetricNames.messagesIngested, labels);
      const key = labelKey({ kind: labels.kind });
      let h = histogram.get(key);
      if (!h) histogram.set(key, (h = { buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
      BUCKETS_MS.forEach((b, i) => {
        if (latencyMs <= b) (h as { buckets: number[] }).buckets[i]! += 1;
      });
      h.sum += latencyMs;
      h.count += 1;
    },
    invalid(labels) {
      add(bridgeMetricNames.messagesInvalid, labels);
      add(bridgeMetricNames.dlqMessages, { reason: labels.reason, source_topic: 'mqtt' });
    },
    refused(labels) {
      add(bridgeMetricNames.messagesRefused, labels);
    },
    connected(delta) {
      connected += delta;
    },
    count(name, labels) {
      const series = counters.get(bridgeMetricNames[name]);
      if (name === 'connectedDevices') return connected;
      if (!series) return 0;
      if (!labels) return [...series.values()].reduce((a, b) => a + b, 0);
      const want = Object.entries(labels);
      let total = 0;
      for (const [key, value] of series) if (want.every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
      return total;
    },
    render() {
      const lines: string[] = [];
      for (const [name, series] of counters) {
        const p = promName(name, true);
        lines.push(`# TYPE ${p} counter`);
        for (const [key, value] of series) lines.push(`${p}{${key}} ${value}`);
      }
      const h = promName(bridgeMetricNames.ingestLatencyMs, false);
      lines.push(`# TYPE ${h} histogram`);
      for (const [key, v] of histogram) {
        BUCKETS_MS.forEach((b, i) => lines.push(`${h}_bucket{${key},le="${b}"} ${v.buckets[i]}`));
        lines.push(`${h}_bucket{${key},le="+Inf"} ${v.count}`, `${h}_sum{${key}} ${v.sum}`, `${h}_count{${key}} ${v.count}`);
      }
      const g = promName(bridgeMetricNames.connectedDevices, false);
      lines.push(`# TYPE ${g} gauge`, `${g} ${connected}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
