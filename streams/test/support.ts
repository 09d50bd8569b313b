import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import { commonEnv, loadConfig, sleep } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createKafkajs, createRdkafkaConsumer, createRdkafkaProducer, ensureTopics, type IncomingRecord } from '@zenthos/kafka';
import { contracts, createSerde, startRegistry, type RunningRegistry, type Serde, type TelemetryRaw } from '@zenthos/schemas';
import { applyTopics } from '../src/adapters/topic-admin';
import { fullTopic } from '../src/domain/topology';
import { zenthosTopology } from '../src/domain/zenthos-topology';

export const env = loadConfig(
  { KAFKA_BROKERS: commonEnv.KAFKA_BROKERS, DATABASE_URL: commonEnv.DATABASE_URL, REDIS_URL: commonEnv.REDIS_URL },
  process.env,
);

/** Everything one test file needs: a random topic prefix with its topics, a registry, a database with devices. */
export interface StreamsTestEnv {
  readonly prefix: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: RunningRegistry;
  readonly serde: Serde;
  readonly db: TemporaryDatabase;
  readonly devices: readonly string[];
  /** Environment for a processor (in-process through loadProcessorConfig, or a child process). */
  readonly processorEnv: Record<string, string>;
  topic(relative: string): string;
  close(): Promise<void>;
}

/** Sets up a private world: topics `<prefix>.*`, a schema registry on its own topic, a fresh database with `deviceCount` devices. */
export async function createStreamsTestEnv(deviceCount = 20): Promise<StreamsTestEnv> {
  const prefix = `test-${randomBytes(5).toString('hex')}`;
  const kafka = createKafkajs({ brokers: env.KAFKA_BROKERS, clientId: 'streams-test' });
  const admin = kafka.admin();
  const registryTopic = `_schemas-${prefix}`;
  const dropTopics = async (): Promise<void> => {
    const topics = (await admin.listTopics()).filter((x) => x.startsWith(`${prefix}.`) || x === registryTopic);
    await admin.deleteTopics({ topics }).catch(() => undefined);
  };
  // Undo what was set up when a later step fails, so a failed set-up leaves nothing behind.
  const undo: Array<() => Promise<unknown>> = [];
  let registry: RunningRegistry;
  let db: TemporaryDatabase;
  const devices = Array.from({ length: deviceCount }, (_, i) => `esp32-s3-${String(i).padStart(3, '0')}`);
  try {
    await admin.connect();
    undo.push(() => admin.disconnect(), dropTopics);
    await applyTopics(admin, zenthosTopology, prefix);
    // The registry keeps its schemas in a compacted topic; creating it here, with retries, spares
    // the test the registry's own single attempt on a busy broker.
    for (let attempt = 1; ; attempt++) {
      try {
        await ensureTopics(admin, [{ topic: registryTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
        await admin.fetchTopicMetadata({ topics: [registryTopic] });
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
        await sleep(500 * attempt);
      }
    }
    registry = await startRegistry({ brokers: env.KAFKA_BROKERS, port: 0, host: '127.0.0.1', topic: registryTopic, logLevel: 'silent' });
    undo.push(() => registry.stop());
    db = await createTemporaryDatabase(env.DATABASE_URL);
    undo.push(() => db.drop());
    await db.pool.query(
      `INSERT INTO devices (id, model, owner, metadata)
       SELECT id, 'esp32-s3', 'owner-' || id, jsonb_build_object('location', jsonb_build_object('latitude', 52.5, 'longitude', 13.4), 'room', id)
       FROM unnest($1::text[]) AS id`,
      [devices],
    );
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
  const serde = createSerde({ registryUrl: registry.url });
  return {
    prefix,
    kafka,
    admin,
    registry,
    serde,
    db,
    devices,
    processorEnv: {
      KAFKA_BROKERS: env.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: registry.url,
      DATABASE_URL: db.url,
      REDIS_URL: env.REDIS_URL,
      STREAMS_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      PROCESSOR_TRANSACTION_TIMEOUT_MS: '10000',
      PROCESSOR_SESSION_TIMEOUT_MS: '6000',
      PROCESSOR_ACTIVITY_FLUSH_MS: '200',
      // Dedupe marks outlive the test only briefly; close() deletes them anyway.
      PROCESSOR_DEDUPE_WINDOW_MS: '900000',
    },
    topic: (relative) => fullTopic(prefix, relative),
    async close() {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}.`));
      await admin.deleteGroups(groups).catch(() => undefined);
      await dropTopics();
      await deleteRedisKeys(`${prefix}:*`);
      await admin.disconnect();
      await registry.stop();
      await db.drop();
    },
  };
}

/** Deletes the keys matching `pattern` from the shared Redis (dedupe marks of a test prefix). */
async function deleteRedisKeys(pattern: string): Promise<void> {
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A free TCP port on 127.0.0.1 (for child processes' ops servers). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

/** A raw record to produce: a value to encode, or raw bytes (garbage). */
export interface RawInput {
  readonly key: string;
  readonly value?: TelemetryRaw;
  readonly bytes?: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Test input with what the pipeline must make of it. */
export interface Workload {
  readonly inputs: RawInput[];
  /** message_ids that must appear exactly once in the enriched topic. */
  readonly uniqueValid: Set<string>;
  /** Expected dead letters by reason code. */
  readonly invalidByReason: Record<string, number>;
}

const INVALID_KINDS = [
  'ZEN_SENSOR_OUT_OF_RANGE',
  'ZEN_TIMESTAMP_SKEW',
  'ZEN_REQUIRED_FIELD_MISSING',
  'ZEN_UNKNOWN_DEVICE',
  'ZEN_DECODE_BAD_MAGIC',
] as const;

/**
 * `total` raw telemetry records: `duplicateRate` of them repeat an earlier valid record's
 * message_id (as a device retrying a publish does), `invalidRate` are invalid in one of five
 * ways, each of which must end in the DLQ with its reason.
 */
export function makeWorkload(
  devices: readonly string[],
  total: number,
  opts: { duplicateRate: number; invalidRate: number; nowS?: number },
): Workload {
  const nowS = opts.nowS ?? Math.floor(Date.now() / 1000);
  const invalidCount = Math.round(total * opts.invalidRate);
  const duplicateCount = Math.round(total * opts.duplicateRate);
  const validCount = total - invalidCount - duplicateCount;
  const valid = (i: number): TelemetryRaw => {
    const device = devices[i % devices.length] as string;
    return {
      message_id: randomUUID(),
      device_id: device,
      device_model: 'esp32-s3',
      timestamp: nowS - 60 + (i % 50),
      sensors: { temperature: 20 + (i % 10), humidity: 40 + (i % 30) },
      firmware_version: 'v1.2.3',
      model_version: 'm-20261130-abc',
      ingest_ts: nowS * 1000,
    };
  };
  const inputs: RawInput[] = [];
  const uniqueValid = new Set<string>();
  const validValues: TelemetryRaw[] = [];
  for (let i = 0; i < validCount; i++) {
    const v = valid(i);
    validValues.push(v);
    uniqueValid.add(v.message_id);
    inputs.push({ key: v.device_id, value: v });
  }
  const invalidByReason: Record<string, number> = {};
  const invalid: RawInput[] = [];
  for (let i = 0; i < invalidCount; i++) {
    const reason = INVALID_KINDS[i % INVALID_KINDS.length] as (typeof INVALID_KINDS)[number];
    invalidByReason[reason] = (invalidByReason[reason] ?? 0) + 1;
    const v = valid(i);
    switch (reason) {
      case 'ZEN_SENSOR_OUT_OF_RANGE':
        invalid.push({ key: v.device_id, value: { ...v, sensors: { temperature: 500 } } });
        break;
      case 'ZEN_TIMESTAMP_SKEW':
        invalid.push({ key: v.device_id, value: { ...v, timestamp: nowS + 86_400 } });
        break;
      case 'ZEN_REQUIRED_FIELD_MISSING':
        invalid.push({ key: v.device_id, value: { ...v, sensors: {} } });
        break;
      case 'ZEN_UNKNOWN_DEVICE':
        invalid.push({ key: `ghost-${i}`, value: { ...v, device_id: `ghost-${i}` } });
        break;
      case 'ZEN_DECODE_BAD_MAGIC':
        invalid.push({ key: v.device_id, bytes: Buffer.from(`{"not":"avro","i":${i}}`) });
        break;
    }
  }
  // Spread invalid records and duplicates through the stream; a duplicate always comes after its original.
  const spread = (items: RawInput[], from: (i: number) => number): void => {
    for (const [i, item] of items.entries()) inputs.splice(Math.min(inputs.length, from(i)), 0, item);
  };
  spread(invalid, (i) => Math.floor(((i + 0.5) * inputs.length) / invalidCount));
  const dups: RawInput[] = [];
  for (let i = 0; i < duplicateCount; i++) {
    const original = validValues[(i * 7919) % validValues.length] as TelemetryRaw;
    dups.push({ key: original.device_id, value: { ...original, ingest_ts: original.ingest_ts + 1 } });
  }
  for (const d of dups) {
    const at = inputs.findIndex((x) => x.value?.message_id === d.value?.message_id);
    inputs.splice(at + 1 + Math.floor(Math.random() * (inputs.length - at)), 0, d);
  }
  return { inputs, uniqueValid, invalidByReason };
}

/** Encodes and produces inputs to `<prefix>.telemetry.raw` (idempotent producer, acks=all). */
export async function produceRaw(t: StreamsTestEnv, inputs: readonly RawInput[]): Promise<void> {
  const topic = t.topic('telemetry.raw');
  const subject = `${topic}-value`;
  const producer = createRdkafkaProducer({ brokers: env.KAFKA_BROKERS, clientId: 'streams-test-producer' });
  await producer.connect();
  try {
    for (let i = 0; i < inputs.length; i += 1_000) {
      const chunk = inputs.slice(i, i + 1_000);
      const records = await Promise.all(
        chunk.map(async (r) => ({
          topic,
          key: r.key,
          ...(r.headers ? { headers: r.headers } : {}),
          value: r.bytes ?? (await t.serde.encode(subject, r.value as never, { schema: contracts['telemetry-raw'].schema })),
        })),
      );
      await producer.send(records);
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads a topic from the beginning with read_committed (only committed transactions) until
 * `expected` records arrived and then `idleMs` more passed without any (to catch extras).
 */
export async function readCommitted(
  topic: string,
  expected: number,
  opts: { timeoutMs: number; idleMs?: number },
): Promise<IncomingRecord[]> {
  const consumer = createRdkafkaConsumer({
    brokers: env.KAFKA_BROKERS,
    clientId: 'streams-test-reader',
    groupId: `reader-${randomUUID()}`,
  });
  await consumer.connect();
  await consumer.subscribe([topic]);
  const out: IncomingRecord[] = [];
  const deadline = Date.now() + opts.timeoutMs;
  let lastArrival = Date.now();
  try {
    while (Date.now() < deadline) {
      const batch = await consumer.poll(1_000, 200);
      if (batch.length > 0) {
        out.push(...batch);
        lastArrival = Date.now();
      } else if (out.length >= expected && Date.now() - lastArrival > (opts.idleMs ?? 3_000)) {
        break;
      }
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Waits until `check` is true. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** Sum of the end offsets of a topic's partitions. */
export async function endOffsetSum(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
}
