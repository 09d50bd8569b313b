/**
 * Parses ProducerPerformance's final line:
 * `100000 records sent, 45045.0 records/sec (8.59 MB/sec), 12.3 ms avg latency, 250.0 ms max latency, 10 ms 50th, …`.
 */
export function parseProducerPerformance(
  output: string,
): { records: number; perSecond: number; avgMs: number; p50Ms?: number; p99Ms?: number } | undefined {
  const lines = output
    .trim()
    .split('\n')
    .filter((l) => /records sent/.test(l));
  const last = lines[lines.length - 1];
  if (!last) return undefined;
  const m = /(\d+) records sent, ([\d.]+) records\/sec .*?, ([\d.]+) ms avg latency/.exec(last);
  if (!m) return undefined;
  const p50 = /(\d+) ms 50th/.exec(last);
  const p99 = /(\d+) ms 99th/.exec(last);
  return {
    records: Number(m[1]),
    perSecond: Number(m[2]),
    avgMs: Number(m[3]),
    ...(p50 ? { p50Ms: Number(p50[1]) } : {}),
    ...(p99 ? { p99Ms: Number(p99[1]) } : {}),
  };
}
