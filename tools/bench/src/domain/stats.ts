/** Latency distribution of a run, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly minMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method on sorted values: the smallest
 * value with at least p% of the values at or below it. No interpolation, so it is always a value
 * that was measured.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** Summarizes latencies (any order); undefined for an empty list. */
export function summarizeLatencies(values: readonly number[]): LatencySummary | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    minMs: round(sorted[0] as number),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] as number),
    meanMs: round(sum / sorted.length),
  };
}

/** Messages per second of `count` messages over `[startMs, endMs]`; 0 when no time passed. */
export function ratePerSecond(count: number, startMs: number, endMs: number): number {
  const ms = endMs - startMs;
  return ms > 0 ? Math.round((count * 1000 * 10) / ms) / 10 : 0;
}

/** `a / b` rounded to 3 decimals, or null when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return Math.round((a / b) * 1000) / 1000;
}
