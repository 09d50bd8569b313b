/**
 * Metric names of the sink, in one place (spec §10 naming: `zenthos.<component>.<what>`). They are
 * exposed on /metrics in Prometheus text, dots becoming underscores.
 */
export const sinkMetricNames = {
  rowsWritten: 'zenthos.sink.rows_written',
  duplicates: 'zenthos.sink.duplicates',
  batchSize: 'zenthos.sink.batch_size',
  writeLatencyMs: 'zenthos.sink.write_latency_ms',
  dbRetries: 'zenthos.sink.db_retries',
  deadLettered: 'zenthos.sink.dead_lettered',
  commitFailures: 'zenthos.sink.commit_failures',
} as const;

type Labels = Readonly<Record<string, string>>;

/** A monotonically increasing count. */
export interface Counter {
  add(n: number, labels?: Labels): void;
  value(labels?: Labels): number;
}

/** A distribution over fixed buckets. */
export interface Histogram {
  record(v: number): void;
  readonly count: number;
  readonly sum: number;
}

/** Counters and histograms rendered as Prometheus text. */
export interface MetricRegistry {
  counter(name: string, help: string): Counter;
  histogram(name: string, help: string, buckets: readonly number[]): Histogram;
  render(): string;
}

const promName = (name: string): string => name.replace(/[^a-zA-Z0-9_]/g, '_');
const labelKey = (labels: Labels = {}): string =>
  Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
    .join(',');

/** A small in-process registry; enough for /metrics until an OpenTelemetry SDK reader takes over. */
export function createMetricRegistry(): MetricRegistry {
  const sections: (() => string)[] = [];
  return {
    counter(name, help) {
      const values = new Map<string, number>();
      const n = promName(name);
      sections.push(() => {
        const lines = [`# HELP ${n}_total ${help}`, `# TYPE ${n}_total counter`];
        for (const [k, v] of values) lines.push(`${n}_total${k ? `{${k}}` : ''} ${v}`);
        return lines.join('\n');
      });
      return {
        add: (by, labels) => values.set(labelKey(labels), (values.get(labelKey(labels)) ?? 0) + by),
        value: (labels) => values.get(labelKey(labels)) ?? 0,
      };
    },
    histogram(name, help, buckets) {
      const counts = buckets.map(() => 0);
      let count = 0;
      let sum = 0;
      const n = promName(name);
      sections.push(() =>
        [
          `# HELP ${n} ${help}`,
          `# TYPE ${n} histogram`,
          ...buckets.map((b, i) => `${n}_bucket{le="${b}"} ${counts[i]}`),
          `${n}_bucket{le="+Inf"} ${count}`,
          `${n}_sum ${sum}`,
          `${n}_count ${count}`,
        ].join('\n'),
      );
      return {
        record(v) {
          count++;
          sum += v;
          buckets.forEach((b, i) => {
            if (v <= b) counts[i] = (counts[i] ?? 0) + 1;
          });
        },
        get count() {
          return count;
        },
        get sum() {
          return sum;
        },
      };
    },
    render: () => `${sections.map((s) => s()).join('\n')}\n`,
  };
}
