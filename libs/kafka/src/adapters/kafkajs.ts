import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { sleep, ZenthosError } from '@zenthos/core';
import type { Delivery, IncomingRecord, KafkaClientSettings, ProducerPort } from '../port';
import { installRequestQueueFix } from './kafkajs-request-queue';

installRequestQueueFix();

/** A kafkajs client with its logging silenced (errors surface as rejected promises). */
export const createKafkajs = (settings: KafkaClientSettings): Kafka =>
  new Kafka({ clientId: settings.clientId, brokers: [...settings.brokers], logLevel: logLevel.NOTHING, retry: { retries: 5 } });

const toError = (err: unknown): ZenthosError => {
  const e = err as Error & { retriable?: boolean };
  return new ZenthosError('ZEN_KAFKA_PRODUCE_FAILED', `kafka: ${e.message}`, e.retriable ?? true, { cause: err });
};

/** Producer on kafkajs: idempotent (which implies acks=all), for the CLI and admin paths. */
export function createKafkajsProducer(settings: KafkaClientSettings): ProducerPort {
  const producer: Producer = createKafkajs(settings).producer({ idempotent: true, maxInFlightRequests: 1 });
  return {
    connect: () => producer.connect(),
    async send(records) {
      try {
        const results: Delivery[] = [];
        for (const r of records) {
          const [meta] = await producer.send({
            topic: r.topic,
            acks: -1,
            compression: CompressionTypes.None,
            messages: [
              {
                key: r.key,
                value: r.value,
                ...(r.headers ? { headers: { ...r.headers } } : {}),
                ...(r.partition !== undefined ? { partition: r.partition } : {}),
                ...(r.timestampMs !== undefined ? { timestamp: String(r.timestampMs) } : {}),
              },
            ],
          });
          results.push({ topic: r.topic, partition: meta?.partition ?? 0, offset: meta?.baseOffset ?? '-1' });
        }
        return results;
      } catch (err) {
        throw toError(err);
      }
    },
    disconnect: () => producer.disconnect(),
  };
}

/** Topic settings for {@link ensureTopics}. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions?: number;
  readonly replicationFactor?: number;
  readonly config?: Readonly<Record<string, string>>;
}

/** Errors a freshly created topic's metadata gives while the broker has not caught up with the controller. */
const NOT_YET_KNOWN = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE']);

/**
 * Creates the topics that do not exist yet and waits, at most `waitMs` (default 30 s), until every
 * partition of them has a leader; existing ones are left as they are.
 *
 * The wait is our own: kafkajs' `waitForLeaders` gives up at the first UNKNOWN_TOPIC_OR_PARTITION
 * ("This server does not host this topic-partition"), which a KRaft broker answers for a topic the
 * controller has created but whose metadata record the broker has not applied yet.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicSpec[], waitMs = 30_000): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return;
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((t) => ({
      topic: t.topic,
      numPartitions: t.partitions ?? 3,
      replicationFactor: t.replicationFactor ?? 1,
      configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
    })),
  });
  const names = missing.map((t) => t.topic);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const pending = await admin.fetchTopicMetadata({ topics: names }).then(
      ({ topics: found }) =>
        names.filter((name) => {
          const meta = found.find((t) => t.name === name);
          return !meta || meta.partitions.length === 0 || meta.partitions.some((p) => p.leader < 0);
        }),
      (err: unknown) => {
        if (NOT_YET_KNOWN.has((err as { type?: string }).type ?? '')) return names;
        throw err;
      },
    );
    if (pending.length === 0) return;
    if (Date.now() > deadline)
      throw new ZenthosError(
        'ZEN_DEPENDENCY_UNAVAILABLE',
        `kafka: topics ${pending.join(', ')} have no leader ${waitMs} ms after their creation`,
        true,
      );
    await sleep(100);
  }
}

/**
 * Reads a topic from the beginning without joining a group (for the CLI: dlq list, tests):
 * up to `max` records or until `idleMs` passes without a new one.
 */
export async function readTopic(kafka: Kafka, topic: string, opts: { max?: number; idleMs?: number } = {}): Promise<IncomingRecord[]> {
  const max = opts.max ?? 10_000;
  const idleMs = opts.idleMs ?? 2_000;
  const consumer = kafka.consumer({ groupId: `zenthos-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}` });
  const records: IncomingRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      let timer = setTimeout(resolve, idleMs * 3);
      void consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic: t, partition, message }) => {
          if (records.length >= max) return;
          const headers: Record<string, Buffer> = {};
          for (const [k, v] of Object.entries(message.headers ?? {}))
            if (v !== undefined) headers[k] = Buffer.isBuffer(v) ? v : Buffer.from(String(v));
          records.push({
            topic: t,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers,
            timestampMs: Number(message.timestamp),
          });
          clearTimeout(timer);
          timer = records.length >= max ? setTimeout(resolve, 0) : setTimeout(resolve, idleMs);
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
