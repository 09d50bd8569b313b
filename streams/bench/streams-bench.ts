// Benchmark of the stream processors: records/s through validate → enrich → dedupe (Kafka
// transactions, registry, Postgres, Redis included) and the p99 produce → read_committed
// latency, next to Kafka's own consumer benchmark (ConsumerPerformance, the class behind
// kafka-consumer-perf-test) on the same topic in the same run. Prints a summary and writes JSON
// to bench-results/.
//
//   npm run bench -w @zenthos/streams -- --records 20000 --latency-records 2000 --rate 500 --batch-max 1000 --transaction-interval 100
//   (--no-kafka-perf skips ConsumerPerformance, e.g. for back-to-back CPU comparisons)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { sleep } from '@zenthos/core';
import { createRdkafkaConsumer, createRdkafkaProducer } from '@zenthos/kafka';
import { contracts, type TelemetryEnriched } from '@zenthos/schemas';
import { loadProcessorConfig } from '../src/config';
import { startProcessor } from '../src/main';
import { createStreamsTestEnv, env, makeWorkload, produceRaw, type StreamsTestEnv } from '../test/support';

const exec = promisify(execFile);
const root = resolve(__dirname, '../../..');

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Kafka's own consumer benchmark on `topic`: messages/s as it reports them. */
async function kafkaConsumerPerf(topic: string, messages: number): Promise<{ nMsgPerSec: number; fetchNMsgPerSec: number; raw: string }> {
  const { stdout } = await exec(
    'java',
    [
      '-cp',
      join(root, '.zenthos/kafka/libs/*'),
      'org.apache.kafka.tools.ConsumerPerformance',
      '--bootstrap-server',
      env.KAFKA_BROKERS[0] as string,
      '--topic',
      topic,
      '--messages',
      String(messages),
    ],
    { timeout: 300_000, maxBuffer: 10 * 1024 * 1024 },
  );
  // Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = stdout.trim().split('\n');
  const header = (lines.find((l) => l.includes('nMsg.sec')) ?? '').split(',').map((s) => s.trim());
  const values = (lines[lines.length - 1] ?? '').split(',').map((s) => s.trim());
  const col = (name: string): number => Number(values[header.indexOf(name)]);
  return { nMsgPerSec: col('nMsg.sec'), fetchNMsgPerSec: col('fetch.nMsg.sec'), raw: stdout.trim() };
}

/** Waits until the processor group has committed `total` source records; returns when that happened. */
async function waitCommitted(t: StreamsTestEnv, total: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const offsets = await t.admin.fetchOffsets({ groupId: `${t.prefix}.processor.telemetry`, topics: [t.topic('telemetry.raw')] });
    const committed = offsets.flatMap((o) => o.partitions).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    if (committed >= total) return Date.now();
    if (Date.now() > deadline) throw new Error(`only ${committed} of ${total} records committed in time`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const records = arg('records', 20_000);
  const latencyRecords = arg('latency-records', 2_000);
  const rate = arg('rate', 500);
  const batchMax = arg('batch-max', 1_000);
  // 0 is allowed here: a transaction as soon as the previous one committed.
  const intervalArg = process.argv.indexOf('--transaction-interval');
  const transactionIntervalMs = intervalArg >= 0 ? Number(process.argv[intervalArg + 1]) : 100;
  if (!Number.isInteger(transactionIntervalMs) || transactionIntervalMs < 0)
    throw new Error('--transaction-interval must be an integer ≥ 0');
  const t = await createStreamsTestEnv(100);
  try {
    // 1. A backlog of raw records (5% duplicate message_ids, as devices retrying do).
    // Each with the headers the MQTT bridge sets (message and device id, the traceparent of its
    // mqtt.receive span): the processor parses, continues and re-emits them for every record.
    const workload = makeWorkload(t.devices, records, { duplicateRate: 0.05, invalidRate: 0 });
    const withHeaders = workload.inputs.map((input) => ({
      ...input,
      headers: {
        message_id: input.value?.message_id ?? '',
        device_id: input.key,
        traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`,
      },
    }));
    await produceRaw(t, withHeaders);

    // 2. Kafka's own consumer on the same topic: the ceiling of merely reading it.
    const kafkaPerf = process.argv.includes('--no-kafka-perf')
      ? { nMsgPerSec: NaN, fetchNMsgPerSec: NaN, raw: '' }
      : await kafkaConsumerPerf(t.topic('telemetry.raw'), records);

    // 3. The processor over the same backlog, measured from its first commit to its last.
    const config = loadProcessorConfig({
      ...t.processorEnv,
      PROCESSOR_INSTANCE_ID: 'bench',
      LOG_LEVEL: 'warn',
      PROCESSOR_BATCH_MAX: String(batchMax),
      PROCESSOR_TRANSACTION_INTERVAL_MS: String(transactionIntervalMs),
    });
    const startedAt = Date.now();
    const processor = await startProcessor(config, { name: 'telemetry', ops: false });
    const firstCommitAt = await waitCommitted(t, 1, 120_000);
    // The processor runs in this process; between the first and the last commit this process
    // does nothing else but poll the committed offsets every 50 ms, so its CPU time is the
    // processor's (main thread, librdkafka threads and GC alike).
    const cpuBefore = process.cpuUsage();
    const txBefore = processor.metrics.batches('committed');
    const doneAt = await waitCommitted(t, records, 600_000);
    const cpu = process.cpuUsage(cpuBefore);
    const backlogTransactions = processor.metrics.batches('committed') - txBefore;
    const throughput = (records - 1) / ((doneAt - firstCommitAt) / 1000);
    const cpuMsPerRecord = Number(((cpu.user + cpu.system) / 1000 / (records - 1)).toFixed(4));

    // 4. Latency at a steady rate: produce → visible to a read_committed consumer of the enriched topic.
    const reader = createRdkafkaConsumer({
      brokers: env.KAFKA_BROKERS,
      clientId: 'bench-reader',
      groupId: `${t.prefix}.bench-reader`,
      fromBeginning: false,
    });
    await reader.connect();
    await reader.subscribe([t.topic('telemetry.enriched')]);
    for (let i = 0; i < 60; i++) await reader.poll(100, 100); // join the group before producing
    const producer = createRdkafkaProducer({ brokers: env.KAFKA_BROKERS, clientId: 'bench-producer' });
    await producer.connect();
    const latencies: number[] = [];
    const subject = `${t.topic('telemetry.raw')}-value`;
    const fresh = makeWorkload(t.devices, latencyRecords, { duplicateRate: 0, invalidRate: 0 });
    const reading = (async () => {
      const deadline = Date.now() + 120_000;
      while (latencies.length < latencyRecords && Date.now() < deadline) {
        // Small polls: consume(n) holds records until n arrived or the stream pauses, which
        // would be measured as processor latency.
        for (const r of await reader.poll(20, 5)) {
          const v = (await t.serde.decode<TelemetryEnriched>(r.value as Buffer)).value;
          latencies.push(Date.now() - v.ingest_ts);
        }
      }
    })();
    const txBeforeSteady = processor.metrics.batches('committed');
    const intervalMs = 1000 / rate;
    const start = Date.now();
    for (const [i, input] of fresh.inputs.entries()) {
      const due = start + i * intervalMs;
      if (due > Date.now()) await sleep(due - Date.now());
      const value = { ...input.value!, ingest_ts: Date.now() };
      void producer.send([
        {
          topic: t.topic('telemetry.raw'),
          key: input.key,
          value: await t.serde.encode(subject, value as never, { schema: contracts['telemetry-raw'].schema }),
        },
      ]);
    }
    await reading;
    const steadyTransactions = processor.metrics.batches('committed') - txBeforeSteady;
    await producer.disconnect();
    await reader.disconnect();
    await processor.stop();
    latencies.sort((a, b) => a - b);

    const result = {
      when: new Date().toISOString(),
      records,
      processor: {
        recordsPerSec: Math.round(throughput),
        startupMs: firstCommitAt - startedAt,
        cpuMsPerRecord,
        transactionIntervalMs,
        backlogTransactions,
        batchMax: config.PROCESSOR_BATCH_MAX,
      },
      kafkaConsumerPerf: { nMsgPerSec: kafkaPerf.nMsgPerSec, fetchNMsgPerSec: kafkaPerf.fetchNMsgPerSec },
      ratioToKafkaConsumer: Number((throughput / kafkaPerf.fetchNMsgPerSec).toFixed(3)),
      latency: {
        records: latencies.length,
        ratePerSec: rate,
        transactions: steadyTransactions,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies[latencies.length - 1] ?? NaN,
      },
    };
    process.stdout.write(
      [
        `streams benchmark (${records} records, topic ${t.topic('telemetry.raw')})`,
        `  validate → enrich → dedupe, exactly-once: ${result.processor.recordsPerSec} records/s, ${cpuMsPerRecord} ms CPU per record, ${backlogTransactions} transactions (batch max ${batchMax}, interval ${transactionIntervalMs} ms)`,
        `  kafka ConsumerPerformance, same topic:     ${Math.round(kafkaPerf.fetchNMsgPerSec)} records/s (fetch), ${Math.round(kafkaPerf.nMsgPerSec)} incl. group join`,
        `  ratio processor / kafka consumer:          ${result.ratioToKafkaConsumer}`,
        `  produce → read_committed latency at ${rate}/s over ${latencies.length} records: p50 ${result.latency.p50Ms} ms, p99 ${result.latency.p99Ms} ms, max ${result.latency.maxMs} ms; ${steadyTransactions} transactions`,
        '',
      ].join('\n'),
    );
    const dir = join(root, 'bench-results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `streams-${Date.now()}.json`), `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await t.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`streams benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
