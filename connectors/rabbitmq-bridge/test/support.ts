import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createKafkajs, createRdkafkaProducer, ensureTopics } from '@zenthos/kafka';
import { contracts, createSerde, type TelemetryEnriched } from '@zenthos/schemas';
import { bridgedKinds, enrichedTopicOf } from '../src/domain/envelope';

/** Addresses of the shared local stack (or the environment's). */
export const stack = loadConfig(
  {
    KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
    AMQP_URL: commonEnv.AMQP_URL,
    DATABASE_URL: commonEnv.DATABASE_URL,
  },
  process.env,
);

/** A random prefix for Kafka topics (`<p>.telemetry.enriched`) and RabbitMQ names (`<p>.sensor_data`). */
export const randomPrefix = (): string => `test${randomBytes(5).toString('hex')}`;

/** Creates the enriched topics of a prefix; `remove` deletes them. */
export async function createTopics(prefix: string): Promise<{ remove(): Promise<void> }> {
  const admin = createKafkajs({ brokers: stack.KAFKA_BROKERS, clientId: 'zenthos-rabbit-test' }).admin();
  await admin.connect();
  const topics = bridgedKinds.map((k) => enrichedTopicOf(prefix, k));
  await ensureTopics(
    admin,
    topics.map((topic) => ({ topic, partitions: 2 })),
  );
  return {
    remove: async () => {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}

/** `n` distinct enriched telemetry records of one model. */
export const telemetry = (n: number, model = 'esp32-s3'): TelemetryEnriched[] =>
  Array.from({ length: n }, (_, i) => ({
    message_id: randomUUID(),
    device_id: `${model}-${String(i % 5).padStart(3, '0')}`,
    device_model: model,
    timestamp: 1_764_460_800 + i,
    sensors: { temperature: 20 + (i % 10), humidity: 50 },
    firmware_version: 'v0.1.0',
    model_version: null,
    ingest_ts: 1_764_460_800_000 + i,
    owner: null,
    location: null,
    metadata: {},
    known_device: true,
    enriched_ts: 1_764_460_800_100 + i,
  }));

/** Produces enriched telemetry (contract schema, `<topic>-value`), each with a traceparent; returns the traceparents by message_id. */
export async function produceTelemetry(
  registryUrl: string,
  prefix: string,
  values: readonly TelemetryEnriched[],
): Promise<Map<string, string>> {
  const serde = createSerde({ registryUrl });
  const producer = createRdkafkaProducer({ brokers: stack.KAFKA_BROKERS, clientId: 'zenthos-rabbit-test' });
  await producer.connect();
  const topic = enrichedTopicOf(prefix, 'telemetry');
  const traces = new Map<string, string>();
  try {
    const records = await Promise.all(
      values.map(async (v) => {
        const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
        traces.set(v.message_id, traceparent);
        return {
          topic,
          key: v.device_id,
          value: await serde.encode(`${topic}-value`, v, { schema: contracts['telemetry-enriched'].schema }),
          headers: { traceparent },
        };
      }),
    );
    await producer.send(records);
  } finally {
    await producer.disconnect();
  }
  return traces;
}

/** A direct AMQP connection for reading queues in tests. */
export async function openReader(): Promise<{ connection: ChannelModel; channel: Channel }> {
  const connection = await connect(stack.AMQP_URL);
  connection.on('error', () => undefined);
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  return { connection, channel };
}

/** Gets (and acks) messages from a queue until `done(all)` or `timeoutMs` passes. */
export async function drain(
  channel: Channel,
  queue: string,
  done: (all: GetMessage[]) => boolean,
  timeoutMs: number,
): Promise<GetMessage[]> {
  const all: GetMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!done(all) && Date.now() < deadline) {
    const msg = await channel.get(queue, { noAck: true });
    if (msg) all.push(msg);
    else await new Promise((r) => setTimeout(r, 100));
  }
  return all;
}

/** Bridge/worker environment for a prefix. */
export const rabbitEnv = (prefix: string, registryUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  KAFKA_BROKERS: stack.KAFKA_BROKERS.join(','),
  SCHEMA_REGISTRY_URL: registryUrl,
  AMQP_URL: stack.AMQP_URL,
  LOG_LEVEL: 'error',
  OTEL_SDK_DISABLED: 'true',
  RABBIT_TOPIC_PREFIX: prefix,
  RABBIT_NAME_PREFIX: `${prefix}.`,
  RABBIT_GROUP_ID: `${prefix}-bridge`,
  RABBIT_OPS_PORT: '0',
  RABBIT_LINGER_MS: '20',
  RABBIT_MAX_BACKOFF_MS: '500',
  ALERTS_OPS_PORT: '0',
  ALERTS_RULES_REFRESH_MS: '0',
  ...extra,
});
