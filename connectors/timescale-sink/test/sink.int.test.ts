import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { ensureSchemaRegistry, type RegistryStub } from '@zenthos/testing';
import { startSink, type RunningSink } from '../src/main';
import { queryTelemetry } from '../src/adapters/telemetry-reader';
import {
  createTelemetryProducer,
  createTopics,
  randomPrefix,
  sinkEnv,
  stack,
  telemetryWithDuplicates,
  waitFor,
  type TelemetryProducer,
} from './support';

// The volume: 100,000 enriched records, 10% of them repeats.
const TOTAL = 100_000;
const UNIQUE = 90_000;

describe('timescale sink against Kafka and Postgres (plain partitioning path)', () => {
  let registry: RegistryStub;
  let db: TemporaryDatabase;
  let topics: Awaited<ReturnType<typeof createTopics>>;
  let producer: TelemetryProducer;
  let sink: RunningSink | undefined;
  const prefix = randomPrefix();

  beforeAll(async () => {
    registry = await ensureSchemaRegistry(stack.SCHEMA_REGISTRY_URL);
    db = await createTemporaryDatabase(stack.DATABASE_URL);
    topics = await createTopics(prefix);
    producer = await createTelemetryProducer(registry.url);
  }, 60_000);

  afterAll(async () => {
    await sink?.close();
    await producer?.close();
    await topics?.remove();
    await db?.drop();
    await registry?.close();
  }, 60_000);

  it('writes exactly the unique records of 100,000 with duplicates, and the rollups match the raw rows', async () => {
    const timescale = (await db.pool.query<{ on: boolean }>('SELECT zenthos_timescale_enabled() AS on')).rows[0]?.on;
    const startS = Math.floor(Date.now() / 1000) - 2 * 3_600;
    const values = telemetryWithDuplicates({ total: TOTAL, unique: UNIQUE, startS, minutes: 90 });
    sink = await startSink(sinkEnv(db.url, prefix, registry.url, { SINK_BATCH_SIZE: '5000' }));
    await producer.send(prefix, values);

    const count = async (): Promise<number> =>
      Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_raw')).rows[0]?.n);
    expect(await waitFor(count, (n) => n >= UNIQUE, 240_000, 500)).toBe(UNIQUE);
    // Offsets are committed after the rows: wait for the group to have consumed everything.
    const committed = async (): Promise<number> => {
      const offsets = await topics.admin.fetchOffsets({ groupId: `${prefix}-sink`, topics: [`${prefix}.telemetry.enriched`] });
      return offsets[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    };
    expect(await waitFor(committed, (n) => n >= TOTAL, 60_000, 500)).toBe(TOTAL);

    const distinct = await db.pool.query<{ n: string }>('SELECT count(DISTINCT message_id) AS n FROM telemetry_raw');
    expect(Number(distinct.rows[0]?.n)).toBe(UNIQUE);

    if (!timescale) {
      // Plain path: rows live in daily partitions created by the sink.
      const parts = await db.pool.query<{ relname: string }>(
        `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'telemetry_raw'::regclass`,
      );
      expect(parts.rows.length).toBeGreaterThan(0);
      expect(parts.rows.every((r) => /^telemetry_raw_p\d{8}$/.test(r.relname))).toBe(true);
    }

    // The rollup views agree with an aggregate computed from the raw rows, bucket by bucket.
    for (const [view, unit] of [
      ['telemetry_1m', 'minute'],
      ['telemetry_1h', 'hour'],
    ] as const) {
      const diff = await db.pool.query(`
          WITH raw AS (
            SELECT date_trunc('${unit}', time) AS bucket, device_id, 'temperature' AS sensor,
                   count(temperature) AS count, round(avg(temperature)::numeric, 6) AS avg, min(temperature) AS min, max(temperature) AS max
            FROM telemetry_raw GROUP BY 1, 2
            UNION ALL
            SELECT date_trunc('${unit}', time), device_id, 'humidity',
                   count(humidity), round(avg(humidity)::numeric, 6), min(humidity), max(humidity)
            FROM telemetry_raw GROUP BY 1, 2
          ), v AS (SELECT bucket, device_id, sensor, count, round(avg::numeric, 6) AS avg, min, max FROM ${view})
          (SELECT * FROM raw EXCEPT SELECT * FROM v) UNION ALL (SELECT * FROM v EXCEPT SELECT * FROM raw)`);
      expect(diff.rows).toEqual([]);
    }
    const total = await db.pool.query<{ n: string }>(`SELECT sum(count) AS n FROM telemetry_1h WHERE sensor = 'temperature'`);
    expect(Number(total.rows[0]?.n)).toBe(UNIQUE);

    // The query behind `zenthos telemetry` reads the same buckets.
    const buckets = await queryTelemetry(db.pool, {
      deviceId: 'esp32-s3-000',
      sinceMs: (startS - 60) * 1000,
      bucket: '1m',
      sensor: 'temperature',
      limit: 10_000,
    });
    expect(buckets.length).toBeGreaterThan(0);
    expect(buckets.reduce((n, r) => n + Number(r.count), 0)).toBe(UNIQUE / 20);
    const raw = await queryTelemetry(db.pool, { deviceId: 'esp32-s3-000', sinceMs: (startS - 60) * 1000, sensor: 'co2', limit: 100_000 });
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.every((r) => r.sensor === 'co2')).toBe(true);
  }, 300_000);
});
