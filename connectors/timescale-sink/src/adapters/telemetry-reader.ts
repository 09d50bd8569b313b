import type { Queryable } from '@zenthos/db';
import { buildTelemetrySql, type TelemetryQuery, type TelemetryRow } from '../domain/telemetry-query';

/** Runs a telemetry query: raw rows, or buckets from the rollup views. */
export async function queryTelemetry(db: Queryable, q: TelemetryQuery): Promise<TelemetryRow[]> {
  const { text, values } = buildTelemetrySql(q);
  const { rows } = await db.query<TelemetryRow>(text, values);
  // count is a bigint: pg returns it as text.
  return rows.map((r) => ('count' in r ? { ...r, count: Number(r.count) } : r));
}
