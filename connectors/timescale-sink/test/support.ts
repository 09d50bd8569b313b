import { randomBytes, randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createKafkajs, createRdkafkaProducer, ensureTopics, type ProducerPort } from '@zenthos/kafka';
import { contracts, createSerde, type Serde, type TelemetryEnriched } from '@zenthos/schemas';
import { enrichedTopic, recordKinds, type RecordKind } from '../src/domain/records';

/** Addresses of the shared local stack (or the environment's). */
export const stack = loadConfig(
  { KAFKA_BROKERS: commonEnv.KAFKA_BROKERS, DATABASE_URL: commonEnv.DATABASE_URL, SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL },
  process.env,
);

/** A random topic prefix, so tests never share topics. */
export const randomPrefix = (): string => `test${randomBytes(5).toString('hex')}`;

/** Creates the enriched topics and the DLQ of a prefix; returns a function deleting them. */
export async function createTopics(prefix: string, partitions = 3): Promise<{ admin: Admin; kafka: Kafka; remove(): Promise<void> }> {
  const kafka = createKafkajs({ brokers: stack.KAFKA_BROKERS, clientId: 'zenthos-sink-test' });
  const admin = kafka.admin();
  await admin.connect();
  const topics = [...recordKinds.map((k) => enrichedTopic(prefix, k)), `${prefix}.dlq`];
  await ensureTopics(
    admin,
    topics.map((topic) => ({ topic, partitions })),
  );
  return {
    admin,
    kafka,
    remove: async () => {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/**
 * `total` enriched telemetry records of which `unique` are distinct: the rest repeat earlier
 * records exactly (same message_id and timestamp), as a redelivery would. Spread over
 * `devices` devices and `minutes` minutes starting at `startS` (epoch seconds).
 */
export function telemetryWithDuplicates(opts: {
  total: number;
  unique: number;
  devices?: number;
  startS?: number;
  minutes?: number;
}): TelemetryEnriched[] {
  const devices = opts.devices ?? 20;
  const startS = opts.startS ?? Math.floor(Date.now() / 1000) - 3_600;
  const spanS = (opts.minutes ?? 60) * 60;
  const out: TelemetryEnriched[] = [];
  for (let i = 0; i < opts.unique; i++) {
    const timestamp = startS + Math.floor((i * spanS) / opts.unique);
    out.push({
      message_id: randomUUID(),
      device_id: `esp32-s3-${String(i % devices).padStart(3, '0')}`,
      device_model: 'esp32-s3',
      timestamp,
      sensors: { temperature: 15 + (i % 200) / 10, humidity: 30 + (i % 50), ...(i % 7 === 0 ? { co2: 400 + (i % 30) } : {}) },
      firmware_version: 'v0.1.0',
      model_version: null,
      ingest_ts: timestamp * 1000 + 3,
      owner: null,
      location: null,
      metadata: {},
      known_device: true,
      enriched_ts: timestamp * 1000 + 7,
    });
  }
  for (let i = opts.unique; i < opts.total; i++) out.push(out[(i * 7919) % opts.unique] as TelemetryEnriched);
  return out;
}

/** A producer and serde writing enriched telemetry the way the stream processors do. */
export interface TelemetryProducer {
  readonly serde: Serde;
  send(prefix: string, values: readonly TelemetryEnriched[]): Promise<void>;
  /** Encodes with the contract of `kind` and produces to `<prefix>.<kind>.enriched`. */
  sendKind(prefix: string, kind: Exclude<RecordKind, 'telemetry'>, values: readonly object[]): Promise<void>;
  /** Produces bytes as they are. */
  sendRaw(topic: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Encodes with the contract schema under `<topic>-value` and produces keyed by device id. */
export async function createTelemetryProducer(registryUrl: string): Promise<TelemetryProducer> {
  const serde = createSerde({ registryUrl });
  const producer: ProducerPort = createRdkafkaProducer({ brokers: stack.KAFKA_BROKERS, clientId: 'zenthos-sink-test' });
  await producer.connect();
  const schema = contracts['telemetry-enriched'].schema;
  return {
    serde,
    async send(prefix, values) {
      const topic = enrichedTopic(prefix, 'telemetry');
      for (let i = 0; i < values.length; i += 5_000) {
        const chunk = values.slice(i, i + 5_000);
        const records = await Promise.all(
          chunk.map(async (v) => ({
            topic,
            key: v.device_id,
            value: await serde.encode(`${topic}-value`, v, { schema }),
            headers: { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` },
          })),
        );
        await producer.send(records);
      }
    },
    async sendKind(prefix, kind, values) {
      const topic = enrichedTopic(prefix, kind);
      const contract = {
        status: contracts['status-enriched'],
        inference: contracts['inference-enriched'],
        logs: contracts['logs-enriched'],
      }[kind];
      const records = await Promise.all(
        values.map(async (v) => ({
          topic,
          key: (v as { device_id: string }).device_id,
          value: await serde.encode(`${topic}-value`, v as never, { schema: contract.schema }),
        })),
      );
      await producer.send(records);
    },
    async sendRaw(topic, value) {
      await producer.send([{ topic, key: null, value }]);
    },
    close: () => producer.disconnect(),
  };
}

/** Polls `read` until it returns `want` or `timeoutMs` passes; returns the last value. */
export async function waitFor<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs: number, stepMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, stepMs));
    last = await read();
  }
  return last;
}

/** The sink's environment for a temporary database and a topic prefix. */
export const sinkEnv = (
  databaseUrl: string,
  prefix: string,
  registryUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  KAFKA_BROKERS: stack.KAFKA_BROKERS.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  DATABASE_URL: databaseUrl,
  LOG_LEVEL: 'error',
  SINK_TOPIC_PREFIX: prefix,
  SINK_GROUP_ID: `${prefix}-sink`,
  // A killed sink's partitions move to its successor after 6 s instead of 45 s.
  SINK_SESSION_TIMEOUT_MS: '6000',
  SINK_OPS_PORT: '0',
  SINK_LINGER_MS: '50',
  SINK_MAX_BACKOFF_MS: '500',
  ...extra,
});
