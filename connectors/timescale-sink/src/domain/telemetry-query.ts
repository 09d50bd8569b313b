import { ZenthosError } from '@zenthos/core';

/** Rollup widths served by the views telemetry_1m and telemetry_1h. */
export const rollupBuckets = { '1m': 'telemetry_1m', '1h': 'telemetry_1h' } as const;
/** One of the keys of {@link rollupBuckets}. */
export type RollupBucket = keyof typeof rollupBuckets;

/** What `zenthos telemetry` asks for. */
export interface TelemetryQuery {
  readonly deviceId: string;
  readonly sinceMs: number;
  readonly bucket?: RollupBucket;
  readonly sensor?: string;
  readonly limit: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A start time from `--since`: a duration back from `nowMs` (`90s`, `15m`, `1h`, `7d`) or an
 * ISO 8601 instant. Raises ZEN_BAD_REQUEST otherwise.
 */
export function parseSince(text: string, nowMs: number): number {
  const m = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (m) return nowMs - Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  const t = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(t)) return t;
  throw new ZenthosError('ZEN_BAD_REQUEST', `--since "${text}" is neither a duration (90s, 15m, 1h, 7d) nor an ISO time`);
}

/** Checks `--bucket`. */
export function parseBucket(text: string | undefined): RollupBucket | undefined {
  if (text === undefined) return undefined;
  if (text in rollupBuckets) return text as RollupBucket;
  throw new ZenthosError('ZEN_BAD_REQUEST', `--bucket "${text}" is not one of ${Object.keys(rollupBuckets).join(', ')}`);
}

/**
 * The SQL and parameters of a query. Bucketed reads go to the rollup views (continuous
 * aggregates or rollup tables, the same columns either way); raw reads expand the stored sensor
 * map, so sensors without a column of their own are shown too.
 */
export function buildTelemetrySql(q: TelemetryQuery): { text: string; values: unknown[] } {
  const values: unknown[] = [q.deviceId, new Date(q.sinceMs).toISOString()];
  if (q.bucket) {
    const view = rollupBuckets[q.bucket];
    const sensor = q.sensor === undefined ? '' : ` AND sensor = $${values.push(q.sensor)}`;
    return {
      text: `SELECT bucket AS time, sensor, count, avg, min, max FROM ${view} WHERE device_id = $1 AND bucket >= date_trunc('${
        q.bucket === '1m' ? 'minute' : 'hour'
      }', $2::timestamptz)${sensor} ORDER BY bucket, sensor LIMIT ${Math.trunc(q.limit)}`,
      values,
    };
  }
  const sensor = q.sensor === undefined ? '' : ` AND s.key = $${values.push(q.sensor)}`;
  return {
    text: `SELECT t.time, s.key AS sensor, s.value::float8 AS value FROM telemetry_raw t CROSS JOIN LATERAL jsonb_each_text(t.payload -> 'sensors') AS s WHERE t.device_id = $1 AND t.time >= $2::timestamptz${sensor} ORDER BY t.time, s.key LIMIT ${Math.trunc(q.limit)}`,
    values,
  };
}

/** A result row of either shape. */
export type TelemetryRow = Readonly<Record<string, unknown>> & { time: Date | string; sensor: string };

const fmt = (v: unknown): string => {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return String(v);
};

/** Tab-separated lines with a header, the command's output. */
export function formatTelemetryRows(rows: readonly TelemetryRow[], bucketed: boolean): string {
  const columns = bucketed ? ['time', 'sensor', 'count', 'avg', 'min', 'max'] : ['time', 'sensor', 'value'];
  const lines = [columns.join('\t'), ...rows.map((r) => columns.map((c) => fmt(r[c])).join('\t'))];
  return `${lines.join('\n')}\n`;
}
