// Sink and bridge throughput against the local stack (`npm run bench -- sink`, or
// `npx tsc -b connectors/timescale-sink && node connectors/timescale-sink/dist/bench/sink.bench.js [rows]`).
//
// 1. Rows/s into telemetry_raw through the sink's write path (COPY straight into the table, through a
//    staging table and ON CONFLICT DO NOTHING only for a batch with rows stored already; batches of
//    5,000, one transaction each), next to `psql \copy` of the
//    very same rows into telemetry_raw of an identical fresh database in the same run, and their
//    ratio. Both sides store the same thing: the rollups are refreshed from telemetry_raw in the
//    background, whose cost for those rows is shown too.
// 2. Kafka → Postgres through the whole sink (poll, Avro decode, batch, write, commit), the sink
//    running as its own process: rows/s, the sink process's CPU time (user + system) per row, and
//    the CPU time per row of the Postgres backends serving its connections.
// 3. The sink's share of end-to-end latency at low load: records produced one at a time at a
//    steady rate, the time from the producer's acknowledgement until the row is visible in
//    telemetry_raw (p50 / p95 / max), and CPU per row at that rate; the same with one Kafka
//    transaction per record, and at 500 records/s in transactions of 25 (the stream processors'
//    pace: the sink reads read_committed).
// 4. Kafka → RabbitMQ through the bridge with publisher confirms (messages/s).
// 5. (step `rows`) In process: CPU time per row from a record's Avro bytes to its COPY data.
// Each step uses its own temporary database or random topic and queue names, removed afterwards.
// SINK_BENCH_MAIN=<path to a sink main.js> runs steps 2 and 3 with another build of the sink (a
// previous commit's dist, for before/after comparisons).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from 'amqplib';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { deleteTopology, rabbitTopology, startBridge } from '@zenthos/rabbitmq-bridge';
import { startRegistryStub } from '@zenthos/testing';
import { contracts, parseSchema } from '@zenthos/schemas';
import { Producer } from 'node-rdkafka';
import { enrichedTopic } from '../src/domain/records';
import { buildTableBatches, columnArrays, tableSpecs, type Row, type TableBatch } from '../src/domain/rows';
import { createPostgresWriter } from '../src/adapters/postgres-writer';
import { createRollupRefresher } from '../src/adapters/rollup-refresher';
import {
  createTelemetryProducer,
  createTopics,
  randomPrefix,
  sinkEnv,
  stack,
  telemetryWithDuplicates,
  waitFor,
  type TelemetryProducer,
} from '../test/support';

const { AMQP_URL } = loadConfig({ AMQP_URL: commonEnv.AMQP_URL }, process.env);
const rows = Number(process.argv[2] ?? 50_000);
// Steps to run (argv[3], comma-separated; default all): copy, rows, kafka, latency, rabbit. Settings the
// bench does not fix (SINK_MIN_LINGER_MS, SINK_FETCH_WAIT_MAX_MS, ...) reach the sink from the
// environment, so `SINK_MIN_LINGER_MS=20 node dist/bench/sink.bench.js 50000 latency` compares them.
const steps = new Set((process.argv[3] ?? 'copy,rows,kafka,latency,rabbit').split(','));
const batchSize = 5_000;
const sinkMain = process.env.SINK_BENCH_MAIN ?? join(__dirname, '..', 'src', 'main.js');
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const perSecond = (n: number, ms: number): number => Math.round((n / ms) * 1000);
const fmt = (n: number): string => n.toLocaleString('en-US');
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

async function writerVersusCopy(): Promise<{ sink: number; copy: number; refreshMs: number; buckets: number }> {
  // A day of readings that ended an hour ago, so the refresh below has every bucket to materialise.
  const startS = Math.floor(Date.now() / 1000) - 25 * 3_600;
  const values = telemetryWithDuplicates({ total: rows, unique: rows, devices: 50, startS, minutes: 24 * 60 });
  const [batch] = buildTableBatches(values.map((value) => ({ kind: 'telemetry' as const, value })));
  const spec = tableSpecs.telemetry;

  const a = await createTemporaryDatabase(stack.DATABASE_URL);
  const b = await createTemporaryDatabase(stack.DATABASE_URL);
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-bench-'));
  try {
    const writer = createPostgresWriter(a.pool);
    // Partitions for the data's days exist before timing, on both sides.
    await writer.ensurePartitions([spec.table], new Date(Date.now() - 3 * 86_400_000), 5);
    const t0 = performance.now();
    for (let i = 0; i < batch!.rows.length; i += batchSize) {
      await writer.write([{ spec: batch!.spec, rows: batch!.rows.slice(i, i + batchSize), duplicates: 0 }]);
    }
    const sinkMs = performance.now() - t0;
    if ((await count(a)) !== rows) throw new Error('sink path wrote a wrong number of rows');

    // The background work the write path no longer does: materialising the rollups of those rows.
    const t1 = performance.now();
    const refreshed = await createRollupRefresher(a.pool, { maxSpanHours: 48 }).refresh();
    const refreshMs = performance.now() - t1;
    const buckets = refreshed.kind === 'refreshed' ? refreshed.buckets : 0;

    await b.pool.query(`SELECT zenthos_ensure_partitions($1, now() - interval '3 days', 5)`, [spec.table]);
    const file = join(dir, 'telemetry.csv');
    const arrays = columnArrays(batch!);
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) lines.push(arrays.map((col) => csvField(col[r])).join(','));
    writeFileSync(file, `${lines.join('\n')}\n`);
    const cols = spec.columns.map((c) => c.name).join(', ');
    const copyMs = psqlCopy(b.url, `telemetry_raw (${cols})`, file);
    if ((await count(b)) !== rows) throw new Error('COPY wrote a wrong number of rows');
    return { sink: perSecond(rows, sinkMs), copy: perSecond(rows, copyMs), refreshMs, buckets };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await a.drop();
    await b.drop();
  }
}

// Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const CLOCK_TICKS_PER_S = 100;

/** A sink running as its own process (the built sink, or SINK_BENCH_MAIN), so its CPU time is its own. */
interface SinkProcess {
  /** User + system CPU time of the process so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

function spawnSink(env: Record<string, string>): SinkProcess {
  const child: ChildProcess = spawn(process.execPath, [sinkMain], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    cpuMs: () => processCpuMs(child.pid ?? -1),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function withSinkPipeline<T>(
  registryUrl: string,
  fn: (ctx: { db: TemporaryDatabase; prefix: string; producer: TelemetryProducer }) => Promise<T>,
): Promise<T> {
  const prefix = randomPrefix();
  const db = await createTemporaryDatabase(stack.DATABASE_URL);
  const topics = await createTopics(prefix);
  const producer = await createTelemetryProducer(registryUrl);
  try {
    return await fn({ db, prefix, producer });
  } finally {
    await producer.close();
    await topics.remove();
    await db.drop();
  }
}

/** User + system CPU time of a process in ms (proc(5): utime and stime, fields 14 and 15); 0 once it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/**
 * CPU time so far of the Postgres backends serving the sink's connections to a database (by
 * pid, from pg_stat_activity): Postgres' own work per row, without the other work the shared
 * server does. Needs the server on this machine (its /proc).
 */
async function sinkBackendsCpuMs(db: TemporaryDatabase, seen: Map<number, number>): Promise<number> {
  const { rows: backends } = await db.pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'zenthos-sink'`,
  );
  for (const { pid } of backends) seen.set(pid, Math.max(seen.get(pid) ?? 0, processCpuMs(pid)));
  let total = 0;
  for (const ms of seen.values()) total += ms;
  return total;
}

async function kafkaToPostgres(
  registryUrl: string,
  n: number,
): Promise<{ rowsPerS: number; cpuUsPerRow: number; postgresUsPerRow: number }> {
  return withSinkPipeline(registryUrl, async ({ db, prefix, producer }) => {
    // Readings of the last half minute (and the next): newer than the rollups' watermarks, so the
    // sink's background refresher (same backends) has nothing to materialise during the run.
    const startS = Math.floor(Date.now() / 1000) - 30;
    await producer.send(prefix, telemetryWithDuplicates({ total: n, unique: n, startS, minutes: 1 }));
    const sink = spawnSink(sinkEnv(db.url, prefix, registryUrl, { SINK_BATCH_SIZE: String(batchSize) }));
    try {
      // Timed from the first row, so start-up and the consumer group's join are not counted.
      await waitFor(
        () => count(db),
        (c) => c > 0,
        60_000,
        5,
      );
      const t0 = performance.now();
      const cpu0 = sink.cpuMs();
      const backends = new Map<number, number>();
      const pg0 = await sinkBackendsCpuMs(db, backends);
      const first = await count(db);
      await waitFor(
        () => count(db),
        (c) => c >= n,
        300_000,
        20,
      );
      const ms = performance.now() - t0;
      const pg1 = await sinkBackendsCpuMs(db, backends);
      return {
        rowsPerS: perSecond(n - first, ms),
        cpuUsPerRow: Math.round(((sink.cpuMs() - cpu0) * 1000) / (n - first)),
        postgresUsPerRow: Math.round(((pg1 - pg0) * 1000) / (n - first)),
      };
    } finally {
      await sink.stop();
    }
  });
}

/**
 * Sends one record per Kafka transaction, as the stream processors' transactional producers do
 * (their records are visible to the sink's read_committed consumer only once committed); resolves
 * when the transaction has committed.
 */
async function createTransactionalSender(
  producer: TelemetryProducer,
): Promise<{ send(prefix: string, values: Parameters<TelemetryProducer['send']>[1]): Promise<void>; close(): Promise<void> }> {
  const p = new Producer({
    'metadata.broker.list': stack.KAFKA_BROKERS.join(','),
    'transactional.id': `zenthos-sink-bench-${process.pid}-${Date.now()}`,
    'linger.ms': 0,
  } as never);
  const call = (fn: (cb: (err: unknown) => void) => void): Promise<void> =>
    new Promise((resolve, reject) => fn((err) => (err ? reject(err as Error) : resolve())));
  await call((cb) => p.connect({}, cb));
  await call((cb) => p.initTransactions(10_000, cb));
  const schema = contracts['telemetry-enriched'].schema;
  return {
    async send(prefix, values) {
      const topic = enrichedTopic(prefix, 'telemetry');
      await call((cb) => p.beginTransaction(cb));
      for (const v of values) p.produce(topic, null, await producer.serde.encode(`${topic}-value`, v, { schema }), v.device_id);
      await call((cb) => p.commitTransaction(10_000, cb));
    },
    close: () => call((cb) => p.disconnect(cb)),
  };
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/**
 * `n` records produced one at a time, `ratePerS` a second, into a running sink with the default
 * batch size and linger: how long after the producer's acknowledgement each row is visible in
 * telemetry_raw (the sink's share of end-to-end latency: fetch, batch, write, commit), and the
 * sink's CPU per row at that rate.
 */
async function lowLoadLatency(
  registryUrl: string,
  n: number,
  ratePerS: number,
  /** Records per Kafka transaction (a transactional producer, as the stream processors); 0: none. */
  perTransaction = 0,
): Promise<{ p50: number; p95: number; max: number; cpuUsPerRow: number; idleCpuMsPerS: number }> {
  return withSinkPipeline(registryUrl, async ({ db, prefix, producer }) => {
    const values = telemetryWithDuplicates({ total: n + 1, unique: n + 1, startS: Math.floor(Date.now() / 1000) - 60, minutes: 1 });
    const sink = spawnSink(sinkEnv(db.url, prefix, registryUrl, { SINK_BATCH_SIZE: '5000', SINK_LINGER_MS: '200' }));
    try {
      // One record first, so the group has joined and the partitions are assigned.
      await producer.send(prefix, values.slice(0, 1));
      await waitFor(
        () => count(db),
        (c) => c >= 1,
        60_000,
        5,
      );
      // What the sink costs with nothing to do (fetches, timers, metrics): part of every row's
      // CPU at a low rate.
      const idleMs = 3_000;
      const idle0 = sink.cpuMs();
      await new Promise((r) => setTimeout(r, idleMs));
      const idleCpuMsPerS = Math.round(((sink.cpuMs() - idle0) * 1000) / idleMs);
      const acked: number[] = [];
      const seen: number[] = [];
      let done = false;
      // Watches the row count every 2 ms; the k-th row became visible at the first count > k.
      const watch = (async () => {
        const client = await db.pool.connect();
        try {
          while (!done) {
            const c = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_raw')).rows[0]?.n) - 1;
            const at = performance.now();
            while (seen.length < c) seen.push(at);
            if (seen.length >= n) break;
            await new Promise((r) => setTimeout(r, 2));
          }
        } finally {
          client.release();
        }
      })();
      const sender = perTransaction > 0 ? await createTransactionalSender(producer) : producer;
      const step = Math.max(1, perTransaction);
      const cpu0 = sink.cpuMs();
      const t0 = performance.now();
      for (let i = 0; i < n; i += step) {
        const due = t0 + (i * 1000) / ratePerS;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sent = values.slice(i + 1, Math.min(n, i + step) + 1);
        await sender.send(prefix, sent);
        const at = performance.now();
        for (let k = 0; k < sent.length; k++) acked.push(at);
      }
      if (sender !== producer) await sender.close();
      await waitFor(
        async () => seen.length,
        (c) => c >= n,
        60_000,
        20,
      );
      const cpuUsPerRow = Math.round(((sink.cpuMs() - cpu0) * 1000) / n);
      done = true;
      await watch;
      // Rows of one partition arrive in order, but partitions interleave: pair the k-th visible
      // row with the k-th acknowledged record (both sorted), a close estimate of each delay.
      const latencies = acked.map((a, k) => Math.max(0, (seen[k] ?? NaN) - a)).sort((x, y) => x - y);
      return {
        p50: Math.round(quantile(latencies, 0.5)),
        p95: Math.round(quantile(latencies, 0.95)),
        max: Math.round(latencies[latencies.length - 1] ?? NaN),
        cpuUsPerRow,
        idleCpuMsPerS,
      };
    } finally {
      await sink.stop();
    }
  });
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

/** What the rows step uses of a build's modules (`src/domain/*.js` of a `dist`). */
interface RowPathModules {
  compileTelemetryRowReader(schemaText: string): ((bytes: Buffer, start: number) => Row | undefined) | undefined;
  buildTableBatches: typeof buildTableBatches;
  daysOf(batch: TableBatch): string[];
  copyTextLine(row: Row): string;
  /** Absent in builds before binary COPY: those encode COPY text. */
  copyBinaryChunks?: (columns: TableBatch['spec']['columns'], rows: readonly Row[]) => Buffer[] | undefined;
}

/**
 * 5. In process, no I/O: CPU time per row from the Avro bytes of a telemetry record to its COPY data
 * (row reader, dedupe inside the batch, partition days, COPY encoding), batches of 5,000: the part
 * of the sink's work that is this package's own code, without Kafka's and Postgres' noise.
 * SINK_BENCH_DIST=<a dist directory> measures another build's modules.
 */
async function rowPath(): Promise<number> {
  const dist = process.env.SINK_BENCH_DIST ?? join(__dirname, '..');
  const domain = join(dist, 'src', 'domain');
  const binary = join(domain, 'copy-binary.js');
  const m = {
    ...((await import(join(domain, 'telemetry-row-reader.js'))) as Pick<RowPathModules, 'compileTelemetryRowReader'>),
    ...((await import(join(domain, 'rows.js'))) as Pick<RowPathModules, 'buildTableBatches' | 'daysOf' | 'copyTextLine'>),
    ...(existsSync(binary) ? ((await import(binary)) as Pick<RowPathModules, 'copyBinaryChunks'>) : {}),
  } as RowPathModules;
  const schema = contracts['telemetry-enriched'].schema;
  const type = parseSchema(schema);
  const read = m.compileTelemetryRowReader(JSON.stringify(schema));
  if (!read) throw new Error('the row reader does not read the telemetry-enriched schema');
  const values = telemetryWithDuplicates({ total: batchSize, unique: batchSize, startS: Math.floor(Date.now() / 1000) - 30, minutes: 1 });
  // Confluent wire format: magic byte, schema id, Avro bytes.
  const records = values.map((v) => Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), type.toBuffer(v)]));
  const once = (): void => {
    const items = records.map((bytes) => ({ kind: 'telemetry' as const, row: read(bytes, 5)! }));
    const [batch] = m.buildTableBatches(items);
    m.daysOf(batch!);
    if (m.copyBinaryChunks) m.copyBinaryChunks(batch!.spec.columns, batch!.rows);
    else Buffer.from(batch!.rows.map((r) => m.copyTextLine(r)).join(''));
  };
  for (let i = 0; i < 100; i++) once(); // optimised code, as in a running sink
  const batches = Math.max(100, Math.ceil(rows / batchSize));
  const t0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) once();
  const used = process.cpuUsage(t0);
  return (used.user + used.system) / (batches * batchSize);
}

async function main(): Promise<void> {
  const registry = await startRegistryStub();
  try {
    out(`sink benchmark: ${fmt(rows)} telemetry rows, batches of ${batchSize}; steps ${[...steps].join(', ')}`);
    const result: Record<string, unknown> = { rows };
    if (steps.has('copy')) {
      const { sink, copy, refreshMs, buckets } = await writerVersusCopy();
      out(`telemetry_raw via sink writer (COPY)                  ${fmt(sink)} rows/s`);
      out(`telemetry_raw via psql \\copy (same rows)              ${fmt(copy)} rows/s`);
      out(`ratio sink/COPY                                       ${(sink / copy).toFixed(2)} (aim >= 0.6)`);
      out(
        `rollup refresh of those rows (background)             ${fmt(Math.round(refreshMs))} ms, ${fmt(perSecond(rows, refreshMs))} rows/s, ${fmt(buckets)} bucket rows`,
      );
      Object.assign(result, {
        sinkRowsPerS: sink,
        copyRowsPerS: copy,
        ratio: Number((sink / copy).toFixed(3)),
        rollupRefreshMs: Math.round(refreshMs),
      });
    }
    if (steps.has('rows')) {
      const usPerRow = await rowPath();
      out(`Avro bytes -> COPY data, in process (no I/O)          ${usPerRow.toFixed(2)} us/row CPU`);
      result.rowPathCpuUsPerRow = Number(usPerRow.toFixed(3));
    }
    if (steps.has('kafka')) {
      const e2e = await kafkaToPostgres(registry.url, rows);
      out(
        `Kafka -> Postgres through the sink (decode + write)   ${fmt(e2e.rowsPerS)} rows/s, sink CPU ${e2e.cpuUsPerRow} us/row, its Postgres backends ${e2e.postgresUsPerRow} us/row`,
      );
      Object.assign(result, {
        kafkaToPostgresRowsPerS: e2e.rowsPerS,
        kafkaToPostgresCpuUsPerRow: e2e.cpuUsPerRow,
        kafkaToPostgresBackendUsPerRow: e2e.postgresUsPerRow,
      });
    }
    if (steps.has('latency')) {
      const latencyRecords = 300;
      const latencyRate = 50;
      const latency = await lowLoadLatency(registry.url, latencyRecords, latencyRate);
      out(
        `sink latency at ${latencyRate} records/s (ack -> row visible)     p50 ${latency.p50} ms, p95 ${latency.p95} ms, max ${latency.max} ms; sink CPU ${latency.cpuUsPerRow} us/row (idle ${latency.idleCpuMsPerS} ms/s)`,
      );
      const inTransactions = await lowLoadLatency(registry.url, latencyRecords, latencyRate, 1);
      out(
        `  the same, one Kafka transaction per record (commit -> row visible)  p50 ${inTransactions.p50} ms, p95 ${inTransactions.p95} ms, max ${inTransactions.max} ms; sink CPU ${inTransactions.cpuUsPerRow} us/row`,
      );
      Object.assign(result, {
        lowLoadLatencyMs: { ratePerS: latencyRate, p50: latency.p50, p95: latency.p95, max: latency.max },
        lowLoadCpuUsPerRow: latency.cpuUsPerRow,
        idleCpuMsPerS: latency.idleCpuMsPerS,
        lowLoadTransactionalLatencyMs: { ratePerS: latencyRate, p50: inTransactions.p50, p95: inTransactions.p95, max: inTransactions.max },
        lowLoadTransactionalCpuUsPerRow: inTransactions.cpuUsPerRow,
      });
      // The stream processors' pace under moderate load: a transaction every 50 ms.
      const steady = await lowLoadLatency(registry.url, 2_500, 500, 25);
      out(
        `sink latency at 500 records/s, 25 per Kafka transaction (commit -> row visible)  p50 ${steady.p50} ms, p95 ${steady.p95} ms, max ${steady.max} ms; sink CPU ${steady.cpuUsPerRow} us/row`,
      );
      result.steadyTransactionalLatencyMs = { ratePerS: 500, perTransaction: 25, p50: steady.p50, p95: steady.p95, max: steady.max };
      result.steadyTransactionalCpuUsPerRow = steady.cpuUsPerRow;
    }
    if (steps.has('rabbit')) {
      const bridged = Math.min(rows, 20_000);
      const rabbit = await kafkaToRabbit(registry.url, bridged);
      out(`Kafka -> RabbitMQ bridge with publisher confirms      ${fmt(rabbit)} messages/s (${fmt(bridged)} messages)`);
      result.rabbitMessagesPerS = rabbit;
    }
    out(JSON.stringify(result));
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
