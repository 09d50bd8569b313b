import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { createRdkafkaConsumer } from '@zenthos/kafka';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { prometheusNames } from '@zenthos/telemetry';
import { startRegistryStub, type RegistryStub } from '@zenthos/testing';
import { startSink, type RunningSink } from '../src/main';
import { queryTelemetry } from '../src/adapters/telemetry-reader';
import { createRollupRefresher } from '../src/adapters/rollup-refresher';
import { registerSinkCommands } from '../src/cli';
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

/** Runs a `zenthos` sub-command of this package against `databaseUrl` and returns what it printed. */
async function runCli(databaseUrl: string, args: string[]): Promise<string> {
  const program = new Command('zenthos').exitOverride();
  registerSinkCommands(program);
  const saved = process.env.DATABASE_URL;
  const write = process.stdout.write.bind(process.stdout);
  let out = '';
  process.env.DATABASE_URL = databaseUrl;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'zenthos', ...args]);
  } finally {
    process.stdout.write = write;
    process.env.DATABASE_URL = saved;
  }
  return out;
}

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
    registry = await startRegistryStub();
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

    // /metrics counts the rows written, by table.
    const metrics = await (await fetch(`http://127.0.0.1:${sink!.opsPort}/metrics`)).text();
    const written = new RegExp(`^${prometheusNames.rowsWritten}\\{[^}]*table="telemetry_raw"[^}]*\\} (\\d+)`, 'm').exec(metrics);
    expect(Number(written?.[1])).toBe(UNIQUE);
    expect(metrics).toContain(`${prometheusNames.dbWriteLatencyMs}_count`);

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

    // The rollup views agree with an aggregate computed from the raw rows, bucket by bucket, for
    // every sensor of the stored maps (co2 has no column of its own): right after the writes
    // (aggregated live unless the sink's refresher ran meanwhile) and after a refresh has
    // materialised the buckets.
    const expectViewsMatchRaw = async (): Promise<void> => {
      for (const [view, unit] of [
        ['telemetry_1m', 'minute'],
        ['telemetry_1h', 'hour'],
      ] as const) {
        const diff = await db.pool.query(`
          WITH raw AS (
            SELECT date_trunc('${unit}', t.time, 'UTC') AS bucket, t.device_id, s.key AS sensor,
                   count(*) AS count, round(avg(s.value::float8)::numeric, 6) AS avg, min(s.value::float8) AS min, max(s.value::float8) AS max
            FROM telemetry_raw t CROSS JOIN LATERAL jsonb_each(t.payload -> 'sensors') AS s GROUP BY 1, 2, 3
          ), v AS (SELECT bucket, device_id, sensor, count, round(avg::numeric, 6) AS avg, min, max FROM ${view})
          (SELECT * FROM raw EXCEPT SELECT * FROM v) UNION ALL (SELECT * FROM v EXCEPT SELECT * FROM raw)`);
        expect(diff.rows).toEqual([]);
      }
    };
    await expectViewsMatchRaw();
    if (!timescale) {
      // The running sink's own refresher may hold the refresh lock at this moment ('busy'): wait it out.
      const refresher = createRollupRefresher(db.pool);
      expect(
        await waitFor(
          () => refresher.refresh(),
          (o) => o.kind !== 'busy',
          60_000,
          200,
        ),
      ).toMatchObject({ kind: 'refreshed' });
      const materialised = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_sensor_agg_1m');
      expect(Number(materialised.rows[0]?.n)).toBeGreaterThan(0);
      await expectViewsMatchRaw();
    }
    const uniqueValues = values.slice(0, UNIQUE);
    const perSensor = await db.pool.query<{ sensor: string; n: string }>(
      'SELECT sensor, sum(count) AS n FROM telemetry_1h GROUP BY sensor ORDER BY sensor',
    );
    expect(perSensor.rows.map((r) => [r.sensor, Number(r.n)])).toEqual([
      ['co2', uniqueValues.filter((v) => v.sensors.co2 !== undefined).length],
      ['humidity', UNIQUE],
      ['temperature', UNIQUE],
    ]);

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
    const co2 = await queryTelemetry(db.pool, {
      deviceId: 'esp32-s3-000',
      sinceMs: (startS - 60) * 1000,
      bucket: '1h',
      sensor: 'co2',
      limit: 10_000,
    });
    const co2Readings = uniqueValues
      .filter((v) => v.device_id === 'esp32-s3-000' && v.sensors.co2 !== undefined)
      .map((v) => v.sensors.co2!);
    expect(co2Readings.length).toBeGreaterThan(0);
    expect(co2.every((r) => r.sensor === 'co2')).toBe(true);
    expect(co2.reduce((n, r) => n + Number(r.count), 0)).toBe(co2Readings.length);
    expect(Math.min(...co2.map((r) => Number(r.min)))).toBe(Math.min(...co2Readings));
    expect(Math.max(...co2.map((r) => Number(r.max)))).toBe(Math.max(...co2Readings));
    const raw = await queryTelemetry(db.pool, { deviceId: 'esp32-s3-000', sinceMs: (startS - 60) * 1000, sensor: 'co2', limit: 100_000 });
    expect(raw.length).toBeGreaterThan(0);
    expect(raw.every((r) => r.sensor === 'co2')).toBe(true);

    // `zenthos telemetry --device … --since … --bucket 1h --sensor humidity` prints those buckets.
    const printed = await runCli(db.url, [
      'telemetry',
      '--device',
      'esp32-s3-000',
      '--since',
      '3h',
      '--bucket',
      '1h',
      '--sensor',
      'humidity',
    ]);
    const lines = printed.trim().split('\n');
    expect(lines[0]).toBe('time\tsensor\tcount\tavg\tmin\tmax');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.split('\t')[1] === 'humidity')).toBe(true);
    expect(lines.slice(1).reduce((n, l) => n + Number(l.split('\t')[2]), 0)).toBe(UNIQUE / 20);
  }, 300_000);

  it('writes status, inference and log records to their tables and dead-letters undecodable bytes', async () => {
    expect(sink).toBeDefined();
    const now = Math.floor(Date.now() / 1000);
    const base = {
      device_id: 'esp32-cam-007',
      device_model: 'esp32-cam',
      timestamp: now,
      ingest_ts: now * 1000,
      owner: null,
      location: null,
      metadata: {},
      known_device: true,
      enriched_ts: now * 1000 + 1,
    };
    const status = {
      ...base,
      message_id: randomUUID(),
      state: 'updating',
      firmware_version: 'v0.2.0',
      model_version: null,
      uptime_s: 3600,
      rssi_dbm: -61,
      free_heap_bytes: 120000,
      ota: { state: 'downloading', release_version: 'v0.3.0', artifact: 'firmware', rollout_id: null, progress_pct: 40, error: null },
    };
    const inference = {
      ...base,
      message_id: randomUUID(),
      model_version: 'm-20261130-abc',
      label: 'person',
      confidence: 0.93,
      scores: { person: 0.93, cat: 0.07 },
      result_json: '{"boxes":[[1,2,3,4]]}',
      latency_ms: 41.5,
      firmware_version: 'v0.2.0',
    };
    const log = {
      ...base,
      message_id: randomUUID(),
      level: 'warn',
      message: 'wifi reconnect',
      component: 'wifi',
      attributes: { attempt: '3' },
      firmware_version: 'v0.2.0',
    };
    await producer.sendKind(prefix, 'status', [status, status]);
    await producer.sendKind(prefix, 'inference', [inference]);
    await producer.sendKind(prefix, 'logs', [log]);
    await producer.sendRaw(`${prefix}.telemetry.enriched`, Buffer.from('not avro at all'));

    const counts = async (): Promise<number[]> =>
      Promise.all(
        ['device_status', 'inference_results', 'device_logs'].map(async (t) =>
          Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n),
        ),
      );
    expect(await waitFor(counts, (c) => c.every((n) => n >= 1), 60_000)).toEqual([1, 1, 1]);
    const st = await db.pool.query('SELECT state, uptime_s, rssi_dbm, ota FROM device_status');
    expect(st.rows[0]).toMatchObject({
      state: 'updating',
      uptime_s: '3600',
      rssi_dbm: -61,
      ota: { state: 'downloading', progress_pct: 40 },
    });
    const inf = await db.pool.query('SELECT label, confidence, result FROM inference_results');
    expect(inf.rows[0]).toMatchObject({
      label: 'person',
      confidence: 0.93,
      result: { scores: { person: 0.93, cat: 0.07 }, output: { boxes: [[1, 2, 3, 4]] } },
    });
    const lg = await db.pool.query('SELECT level, message, attributes FROM device_logs');
    expect(lg.rows[0]).toMatchObject({ level: 'warn', message: 'wifi reconnect', attributes: { attempt: '3' } });

    // The DLQ is written by librdkafka with lz4, which kafkajs cannot read: read it with librdkafka.
    const reader = createRdkafkaConsumer({ brokers: stack.KAFKA_BROKERS, clientId: 'zenthos-sink-test', groupId: `${prefix}-dlq-reader` });
    await reader.connect();
    await reader.subscribe([`${prefix}.dlq`]);
    const dlq = await waitFor(
      async () => reader.poll(10, 500),
      (batch) => batch.length > 0,
      30_000,
      0,
    ).finally(() => reader.disconnect());
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.value?.toString()).toBe('not avro at all');
    expect(dlq[0]?.headers['dlq.reason']?.toString()).toBe('ZEN_DECODE_BAD_MAGIC');
    expect(dlq[0]?.headers['dlq.source_topic']?.toString()).toBe(`${prefix}.telemetry.enriched`);
  }, 120_000);
});
