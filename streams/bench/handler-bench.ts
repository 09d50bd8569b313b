// CPU per record of the processor's own work, without Kafka: decode → validate → enrich → dedupe
// → encode with the record tracer and step metrics, over records that carry the bridge's headers.
// Kafka, the broker and the other services on the machine stay out of the measurement, so two
// builds can be compared back to back with far less noise than `zenthos bench streams`.
//
//   node streams/dist/bench/handler-bench.js [--batches 120] [--batch 500] [--redis] [--tracer]
//   (--redis: dedupe claims in the local Redis, REDIS_URL, instead of in memory; --tracer: with
//   the record tracer over a tracer that exports nothing, as the processor ran before it passed
//   trace headers through when it exports no spans)
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { commonEnv, loadConfig } from '@zenthos/core';
import type { IncomingRecord } from '@zenthos/kafka';
import { contracts, createMemoryRegistryClient, createSerde, type TelemetryRaw } from '@zenthos/schemas';
import { initTelemetry } from '@zenthos/telemetry';
import { createBatchHandler } from '../src/domain/batch';
import { createDedupe, type DedupeStore } from '../src/domain/dedupe';
import { createEnrich, type DeviceInfo } from '../src/domain/enrich';
import { systemClock, type NamedProcessor, type Processor } from '../src/domain/record';
import { createValidate } from '../src/domain/validate';
import { createMemoryDedupeStore } from '../src/adapters/memory-dedupe-store';
import { createRedisDedupeStore } from '../src/adapters/redis-dedupe-store';
import { createSerdeCodec } from '../src/adapters/serde-codec';
import { createRecordTracer } from '../src/adapters/tracing';
import { createStreamMetrics } from '../src/metrics';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
};

async function main(): Promise<void> {
  const env = loadConfig({ REDIS_URL: commonEnv.REDIS_URL }, process.env);
  const batches = arg('batches', 120);
  const batchSize = arg('batch', 500);
  const warmup = Math.min(20, Math.floor(batches / 4));
  const useRedis = process.argv.includes('--redis');
  const traced = process.argv.includes('--tracer');
  // As `zenthos run processor` without OTEL_* exporters: global async context, no recorded spans
  // (and no record tracer unless --tracer).
  const telemetry = initTelemetry({ serviceName: 'stream-processor', env: {}, registerGlobal: true });
  const metrics = createStreamMetrics(telemetry.meter);
  const clock = systemClock;
  // The registry adapter caches one answer object per device; so does this lookup.
  const devices = new Map<string, DeviceInfo>();
  const deviceOf = (id: string): DeviceInfo => {
    let d = devices.get(id);
    if (d === undefined) {
      d = {
        id,
        model: 'esp32-s3',
        owner: 'bench',
        metadata: { location: { latitude: 52.5, longitude: 13.4, site: 'lab' }, floor: 2 },
        revoked: false,
      };
      devices.set(id, d);
    }
    return d;
  };
  const keyPrefix = `bench:dedupe:${randomUUID()}:`;
  const redisStore = useRedis ? createRedisDedupeStore({ url: env.REDIS_URL, keyPrefix }) : undefined;
  const store: DedupeStore = redisStore ?? createMemoryDedupeStore(clock);
  const steps: NamedProcessor[] = [
    {
      name: 'validate',
      process: createValidate({ kind: 'telemetry', maxFutureSkewS: 300, maxAgeS: 86_400, sensorRanges: {} }, { clock }) as Processor<
        unknown,
        unknown
      >,
    },
    {
      name: 'enrich',
      process: createEnrich(
        { autoRegister: false },
        {
          devices: { get: async (id) => deviceOf(id), register: async (d) => deviceOf(d.id) },
          activity: { record: () => undefined },
          clock,
        },
      ) as Processor<unknown, unknown>,
    },
    { name: 'dedupe', process: createDedupe({ windowMs: 60_000 }, { store }) as Processor<unknown, unknown> },
  ];
  const serde = createSerde({ registry: createMemoryRegistryClient() });
  const raw = contracts['telemetry-raw'];
  const handle = createBatchHandler(
    { pipeline: 'telemetry', steps, sinkTopics: ['bench.telemetry.enriched'], dlqTopic: 'bench.dlq' },
    {
      codec: createSerdeCodec(serde, {
        input: raw.schema,
        outputByTopic: new Map([['bench.telemetry.enriched', contracts['telemetry-enriched'].schema]]),
      }),
      clock,
      ...(traced ? { tracer: createRecordTracer('telemetry', telemetry.tracer) } : {}),
      observeStep: (processor, ms) => metrics.recordStepTime(processor, ms),
    },
  );

  const nowS = Math.floor(Date.now() / 1000);
  const input: IncomingRecord[][] = [];
  for (let b = 0; b < batches; b++) {
    const batch: IncomingRecord[] = [];
    for (let i = 0; i < batchSize; i++) {
      const offset = b * batchSize + i;
      const value: TelemetryRaw = {
        message_id: randomUUID(),
        device_id: `bench-${offset % 50}`,
        device_model: 'esp32-s3',
        timestamp: nowS - 5,
        sensors: { temperature: 21.5, humidity: 40 + (i % 20) },
        firmware_version: 'v1.2.3',
        model_version: 'm-20261130-abc',
        ingest_ts: nowS * 1000,
      };
      batch.push({
        topic: 'bench.telemetry.raw',
        partition: offset % 3,
        offset: String(offset),
        key: Buffer.from(value.device_id),
        value: await serde.encode(raw.subject, value),
        headers: {
          message_id: Buffer.from(value.message_id),
          device_id: Buffer.from(value.device_id),
          traceparent: Buffer.from(`00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`),
        },
        timestampMs: nowS * 1000,
      });
    }
    input.push(batch);
  }

  for (let b = 0; b < warmup; b++) await handle(input[b] as IncomingRecord[]);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let outputs = 0;
  for (let b = warmup; b < batches; b++) outputs += (await handle(input[b] as IncomingRecord[])).outputs.length;
  const cpu = process.cpuUsage(cpuBefore);
  const records = (batches - warmup) * batchSize;
  process.stdout.write(
    `handler benchmark (${records} records in batches of ${batchSize}, dedupe in ${useRedis ? 'Redis' : 'memory'}${traced ? ', record tracer' : ''}): ` +
      `${((cpu.user + cpu.system) / records).toFixed(2)} µs CPU per record, ` +
      `${(((performance.now() - started) * 1000) / records).toFixed(2)} µs wall per record, ${outputs} outputs\n`,
  );

  await redisStore?.close();
  if (useRedis) {
    // Leave nothing behind in the shared Redis.
    const redis = new Redis(env.REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
  await telemetry.shutdown();
}

main().catch((err: unknown) => {
  process.stderr.write(`handler benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
