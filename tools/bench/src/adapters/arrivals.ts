import type { Queryable } from '@zenthos/db';

/**
 * Records when each telemetry row reached the database. The schema has no insert timestamp
 * (`ingest_ts` is set by the bridge, not the database), so the benchmark adds, in its own
 * throw-away database, a table and an AFTER INSERT trigger that stamps every inserted row with
 * `clock_timestamp()`: the time the sink's INSERT ran, a few milliseconds before its COMMIT made
 * the row visible. A statement-level trigger with a transition table costs one INSERT … SELECT
 * per batch; TimescaleDB hypertables refuse transition tables, so there a row trigger is used.
 */
export async function installArrivalClock(db: Queryable): Promise<'statement' | 'row'> {
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

/** Rows stamped so far. */
export async function arrivalCount(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM bench_arrivals');
  return Number(rows[0]?.n ?? 0);
}

/** Arrival time (epoch ms) per message_id. */
export async function arrivals(db: Queryable): Promise<Map<string, number>> {
  const { rows } = await db.query<{ id: string; ms: string }>(
    `SELECT message_id::text AS id, (extract(epoch FROM arrived_at) * 1000)::float8 AS ms FROM bench_arrivals`,
  );
  return new Map(rows.map((r) => [r.id, Number(r.ms)]));
}

/** Rows, distinct message ids of telemetry_raw (duplicates = rows − distinct). */
export async function telemetryTotals(db: Queryable): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.query<{ n: string; d: string }>('SELECT count(*) AS n, count(DISTINCT message_id) AS d FROM telemetry_raw');
  return { rows: Number(rows[0]?.n ?? 0), distinct: Number(rows[0]?.d ?? 0) };
}
