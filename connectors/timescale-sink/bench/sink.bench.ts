// Sink and bridge throughput against the local stack (`npm run bench -- sink`, or
// `npx tsc -b connectors/timescale-sink && node connectors/timescale-sink/dist/bench/sink.bench.js [rows]`).
//
// 1. Rows/s into telemetry_raw through the sink's write path (COPY into a staging table, merged with
//    ON CONFLICT DO NOTHING, which also writes each row's per-sensor values; batches of 5,000, one
//    transaction each), next to `psql \copy` of the very same rows into an identical fresh database
//    in the same run, and their ratio. The \copy baseline stores what the sink stores: the
//    telemetry_raw rows and their per-sensor values (rolled up by the same triggers); the time of
//    the telemetry_raw \copy alone is shown too.
// 2. Kafka → Postgres through the whole sink (poll, Avro decode, batch, write, commit).
// 3. Kafka → RabbitMQ through the bridge with publisher confirms (messages/s).
// Each step uses its own temporary database or random topic and queue names, removed afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { deleteTopology, rabbitTopology, startBridge } from '@zenthos/rabbitmq-bridge';
import { startRegistryStub } from '@zenthos/testing';
import { buildTableBatches, columnArrays, tableSpecs, tablesOf } from '../src/domain/rows';
import { createPostgresWriter } from '../src/adapters/postgres-writer';
import { startSink } from '../src/main';
import { createTelemetryProducer, createTopics, randomPrefix, sinkEnv, stack, telemetryWithDuplicates, waitFor } from '../test/support';

const { AMQP_URL } = loadConfig({ AMQP_URL: commonEnv.AMQP_URL }, process.env);
const rows = Number(process.argv[2] ?? 50_000);
const batchSize = 5_000;
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const count = async (db: TemporaryDatabase): Promise<number> =>
  Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_raw')).rows[0]?.n);

/** CSV (RFC 4180 as COPY reads it): quoted text, empty for NULL. */
const csvField = (v: unknown): string =>
  v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : `"${String(v).replace(/"/g, '""')}"`;

/** Runs one `psql \copy` of a CSV file; returns its wall time in ms (psql start-up included). */
function psqlCopy(url: string, target: string, file: string): number {
  const t0 = performance.now();
  const res = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', `\\copy ${target} FROM '${file}' WITH (FORMAT csv)`], {
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (res.status !== 0) throw new Error(`psql \\copy failed: ${res.stderr}`);
  return ms;
}

async function writerVersusCopy(): Promise<{ sink: number; copy: number; copyRawOnly: number }> {
  const values = telemetryWithDuplicates({ total: rows, unique: rows, devices: 50, minutes: 24 * 60 });
  const [batch] = buildTableBatches(values.map((value) => ({ kind: 'telemetry' as const, value })));
  const spec = tableSpecs.telemetry;

  const a = await createTemporaryDatabase(stack.DATABASE_URL);
  const b = await createTemporaryDatabase(stack.DATABASE_URL);
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-bench-'));
  try {
    const writer = createPostgresWriter(a.pool);
    // Partitions for the data's days exist before timing, on both sides.
    await writer.ensurePartitions(tablesOf(spec), new Date(Date.now() - 3 * 86_400_000), 5);
    const t0 = performance.now();
    for (let i = 0; i < batch!.rows.length; i += batchSize) {
      await writer.write([{ spec: batch!.spec, rows: batch!.rows.slice(i, i + batchSize), duplicates: 0 }]);
    }
    const sinkMs = performance.now() - t0;
    if ((await count(a)) !== rows) throw new Error('sink path wrote a wrong number of rows');

    for (const t of tablesOf(spec)) await b.pool.query(`SELECT zenthos_ensure_partitions($1, now() - interval '3 days', 5)`, [t]);
    const file = join(dir, 'telemetry.csv');
    const arrays = columnArrays(batch!);
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) lines.push(arrays.map((col) => csvField(col[r])).join(','));
    writeFileSync(file, `${lines.join('\n')}\n`);
    // The per-sensor rows the sink derives from the same records (numeric sensors only).
    const sensorFile = join(dir, 'sensor-values.csv');
    const sensorLines: string[] = [];
    for (const v of values) {
      for (const [sensor, value] of Object.entries(v.sensors)) {
        if (Number.isFinite(value)) {
          sensorLines.push([new Date(v.timestamp * 1000).toISOString(), v.message_id, v.device_id, sensor, value].map(csvField).join(','));
        }
      }
    }
    writeFileSync(sensorFile, `${sensorLines.join('\n')}\n`);
    const cols = spec.columns.map((c) => c.name).join(', ');
    const rawMs = psqlCopy(b.url, `telemetry_raw (${cols})`, file);
    const sensorMs = psqlCopy(b.url, 'telemetry_sensor_values (time, message_id, device_id, sensor, value)', sensorFile);
    if ((await count(b)) !== rows) throw new Error('COPY wrote a wrong number of rows');
    const stored = async (db: TemporaryDatabase): Promise<number> =>
      Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_sensor_values')).rows[0]?.n);
    if ((await stored(a)) !== sensorLines.length || (await stored(b)) !== sensorLines.length) {
      throw new Error('per-sensor rows differ between the sink path and COPY');
    }
    return { sink: perSecond(rows, sinkMs), copy: perSecond(rows, rawMs + sensorMs), copyRawOnly: perSecond(rows, rawMs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await a.drop();
    await b.drop();
  }
}

async function kafkaToPostgres(registryUrl: string, n: number): Promise<number> {
  const prefix = randomPrefix();
  const db = await createTemporaryDatabase(stack.DATABASE_URL);
  const topics = await createTopics(prefix);
  const producer = await createTelemetryProducer(registryUrl);
  try {
    await producer.send(prefix, telemetryWithDuplicates({ total: n, unique: n }));
    const sink = await startSink(sinkEnv(db.url, prefix, registryUrl, { SINK_BATCH_SIZE: String(batchSize), SINK_LINGER_MS: '100' }));
    try {
      // Timed from the first row, so the consumer group's join is not counted.
      await waitFor(
        () => count(db),
        (c) => c > 0,
        60_000,
        5,
      );
      const t0 = performance.now();
      const first = await count(db);
      await waitFor(
        () => count(db),
        (c) => c >= n,
        300_000,
        20,
      );
      return perSecond(n - first, performance.now() - t0);
    } finally {
      await sink.close();
    }
  } finally {
    await producer.close();
    await topics.remove();
    await db.drop();
  }
}

async function kafkaToRabbit(registryUrl: string, n: number): Promise<number> {
  const prefix = randomPrefix();
  const topics = await createTopics(prefix);
  const producer = await createTelemetryProducer(registryUrl);
  const connection = await connect(AMQP_URL);
  const channel = await connection.createChannel();
  const topology = rabbitTopology(`${prefix}.`, 5);
  try {
    await producer.send(prefix, telemetryWithDuplicates({ total: n, unique: n }));
    const bridge = await startBridge({
      KAFKA_BROKERS: stack.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      AMQP_URL,
      LOG_LEVEL: 'error',
      RABBIT_TOPIC_PREFIX: prefix,
      RABBIT_NAME_PREFIX: `${prefix}.`,
      RABBIT_GROUP_ID: `${prefix}-bridge`,
      RABBIT_OPS_PORT: '0',
    });
    try {
      const depth = async (): Promise<number> => (await channel.checkQueue(topology.queues.sensorData.name)).messageCount;
      await waitFor(depth, (d) => d > 0, 60_000, 5);
      const t0 = performance.now();
      const first = await depth();
      await waitFor(depth, (d) => d >= n, 300_000, 20);
      return perSecond(n - first, performance.now() - t0);
    } finally {
      await bridge.close();
    }
  } finally {
    await deleteTopology(channel, topology);
    await connection.close();
    await producer.close();
    await topics.remove();
  }
}

async function main(): Promise<void> {
  const registry = await startRegistryStub();
  try {
    out(`sink benchmark: ${rows.toLocaleString('en-US')} telemetry rows, batches of ${batchSize}`);
    const { sink, copy, copyRawOnly } = await writerVersusCopy();
    out(`telemetry_raw via sink writer (COPY + merge)        ${sink.toLocaleString('en-US')} rows/s`);
    out(`telemetry_raw via psql \\copy (same rows)             ${copy.toLocaleString('en-US')} rows/s (raw and per-sensor rows)`);
    out(`ratio sink/COPY                                       ${(sink / copy).toFixed(2)} (aim >= 0.6)`);
    out(
      `telemetry_raw alone via psql \\copy                  ${copyRawOnly.toLocaleString('en-US')} rows/s (sink ${(sink / copyRawOnly).toFixed(2)} of it)`,
    );
    const e2e = await kafkaToPostgres(registry.url, rows);
    out(`Kafka -> Postgres through the sink (decode + write)   ${e2e.toLocaleString('en-US')} rows/s (${(e2e / copy).toFixed(2)} of COPY)`);
    const bridged = Math.min(rows, 20_000);
    const rabbit = await kafkaToRabbit(registry.url, bridged);
    out(
      `Kafka -> RabbitMQ bridge with publisher confirms      ${rabbit.toLocaleString('en-US')} messages/s (${bridged.toLocaleString('en-US')} messages)`,
    );
    out(
      JSON.stringify({
        rows,
        sinkRowsPerS: sink,
        copyRowsPerS: copy,
        ratio: Number((sink / copy).toFixed(3)),
        copyRawOnlyRowsPerS: copyRawOnly,
        ratioRawOnly: Number((sink / copyRawOnly).toFixed(3)),
        kafkaToPostgresRowsPerS: e2e,
        rabbitMessagesPerS: rabbit,
      }),
    );
  } finally {
    await registry.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`sink bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
