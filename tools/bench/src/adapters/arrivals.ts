import type { Queryable } from '@zenthos/db';

/**
 * How the benchmark learns when each telemetry row reached the database. The schema has no insert
 * timestamp (`ingest_ts` is set by the bridge, not the database), so:
 * - `commit`: with `track_commit_timestamp` on (the local stack turns it on), the commit time of
 *   the transaction that inserted the row, `pg_xact_commit_timestamp(xmin)`: the moment the row
 *   became visible, at no cost per row (PostgreSQL keeps one timestamp per transaction).
 * - `statement`: otherwise, in the benchmark's own throw-away database, an AFTER INSERT trigger
 *   with a transition table stamps every inserted row with `clock_timestamp()` into an unlogged
 *   table (one INSERT … SELECT per batch, a few milliseconds before the COMMIT).
 * - `row`: the same with a row trigger where transition tables are refused (TimescaleDB hypertables).
 */
export type ArrivalClock = 'commit' | 'statement' | 'row';

/**
 * Picks and installs the {@link ArrivalClock} of this database: commit timestamps where they are
 * kept, unless `commitTimestamps` is false; a trigger otherwise.
 */
export async function installArrivalClock(db: Queryable, options: { commitTimestamps?: boolean } = {}): Promise<ArrivalClock> {
  if (options.commitTimestamps !== false) {
    const { rows } = await db.query<{ on: boolean }>(`SELECT current_setting('track_commit_timestamp') = 'on' AS on`);
    if (rows[0]?.on === true) return 'commit';
  }
  await db.query(`CREATE UNLOGGED TABLE bench_arrivals (message_id UUID NOT NULL, arrived_at TIMESTAMPTZ NOT NULL)`);
  await db.query(`CREATE FUNCTION bench_stamp_batch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO bench_arrivals SELECT message_id, clock_timestamp() FROM inserted;
      RETURN NULL;
    END $$`);
  try {
    await db.query(`CREATE TRIGGER bench_arrivals AFTER INSERT ON telemetry_raw
      REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION bench_stamp_batch()`);
    return 'statement';
  } catch {
    await db.query(`CREATE FUNCTION bench_stamp_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO bench_arrivals VALUES (NEW.message_id, clock_timestamp());
        RETURN NULL;
      END $$`);
    await db.query(`CREATE TRIGGER bench_arrivals AFTER INSERT ON telemetry_raw FOR EACH ROW EXECUTE FUNCTION bench_stamp_row()`);
    return 'row';
  }
}

/** Rows stamped so far (every inserted row, duplicates included). */
export async function arrivalCount(db: Queryable, clock: ArrivalClock): Promise<number> {
  const table = clock === 'commit' ? 'telemetry_raw' : 'bench_arrivals';
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/** Arrival time (epoch ms) per message_id. */
export async function arrivals(db: Queryable, clock: ArrivalClock): Promise<Map<string, number>> {
  const { rows } = await db.query<{ id: string; ms: string }>(
    clock === 'commit'
      ? `SELECT message_id::text AS id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000)::float8 AS ms FROM telemetry_raw`
      : `SELECT message_id::text AS id, (extract(epoch FROM arrived_at) * 1000)::float8 AS ms FROM bench_arrivals`,
  );
  return new Map(rows.map((r) => [r.id, Number(r.ms)]));
}

/** Rows, distinct message ids of telemetry_raw (duplicates = rows − distinct). */
export async function telemetryTotals(db: Queryable): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM telemetry_raw');
  return { rows: Number(rows[0]?.n ?? 0), distinct: Number(rows[0]?.d ?? 0) };
}
