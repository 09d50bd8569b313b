import { randomUUID } from 'node:crypto';
import { ZenthosError, type Logger } from '@zenthos/core';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import type { SchemaLog } from '../domain/registry-service';
import type { LogRecord, RegistryStore } from '../domain/registry-store';

/** Settings of the Kafka-backed `_schemas` log. */
export interface KafkaSchemaLogOptions {
  readonly brokers: readonly string[];
  /** Compacted topic with the registry's records (Confluent default: `_schemas`). */
  readonly topic: string;
  readonly store: RegistryStore;
  readonly logger?: Logger;
  /** How long a write waits to be read back before failing with ZEN_TIMEOUT. */
  readonly writeTimeoutMs?: number;
}

/** The `_schemas` log on Kafka; `start` replays the topic into the store before resolving. */
export interface KafkaSchemaLog extends SchemaLog {
  start(): Promise<void>;
  stop(): Promise<void>;
}

// Confluent's registry writes this key to learn where the log ends (KafkaStore.getLatestOffset).
const NOOP_KEY = JSON.stringify({ keytype: 'NOOP', magic: 0 });

/**
 * Keeps the registry's state in a single-partition compacted topic, the way Confluent's
 * KafkaStore does: every write is produced (idempotent, acks=all) and only counts once the
 * consumer has read it back and applied it to the store. State is therefore exactly what a
 * replay of the topic gives, so ids and versions survive restarts unchanged.
 */
export function createKafkaSchemaLog(options: KafkaSchemaLogOptions): KafkaSchemaLog {
  const kafka = new Kafka({
    clientId: 'zenthos-schema-registry',
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 5 },
  });
  const writeTimeoutMs = options.writeTimeoutMs ?? 30_000;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let applied = -1n;
  const waiters: Array<{ offset: bigint; resolve: () => void }> = [];

  const waitFor = (offset: bigint): Promise<void> => {
    if (applied >= offset) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new ZenthosError('ZEN_TIMEOUT', `schema log write at offset ${offset} not read back within ${writeTimeoutMs} ms`, true)),
        writeTimeoutMs,
      );
      waiters.push({
        offset,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  };

  const produce = async (records: readonly LogRecord[]): Promise<bigint> => {
    if (!producer) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'schema log is not started');
    try {
      const [meta] = await producer.send({
        topic: options.topic,
        acks: -1,
        messages: records.map((r) => ({ key: r.key, value: r.value, partition: 0 })),
      });
      return BigInt(meta?.baseOffset ?? '0') + BigInt(records.length - 1);
    } catch (err) {
      throw new ZenthosError('ZEN_KAFKA_PRODUCE_FAILED', `cannot write to ${options.topic}: ${(err as Error).message}`, true, {
        cause: err,
      });
    }
  };

  return {
    async start() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        // One partition keeps a total order of writes; compaction keeps the latest of each key.
        if (!(await admin.listTopics()).includes(options.topic)) {
          await admin
            .createTopics({
              waitForLeaders: true,
              topics: [{ topic: options.topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
            })
            .catch((err: unknown) => {
              // Another registry instance may have created it in between.
              if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
            });
        }
      } finally {
        await admin.disconnect();
      }
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      consumer = kafka.consumer({ groupId: `zenthos-schema-registry-${randomUUID()}`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const key = message.key?.toString('utf8');
          if (key !== undefined) options.store.apply({ key, value: message.value === null ? null : message.value.toString('utf8') });
          applied = BigInt(message.offset);
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (waiters[i]!.offset <= applied) waiters.splice(i, 1)[0]!.resolve();
          }
        },
      });
      // Read up to a marker written now: everything before it is the state to serve.
      await waitFor(await produce([{ key: NOOP_KEY, value: null }]));
      options.logger?.info({ topic: options.topic, offset: String(applied), ignored: options.store.ignoredRecords }, 'schema log replayed');
    },

    async append(records) {
      if (records.length === 0) return;
      await waitFor(await produce(records));
    },

    async stop() {
      await consumer?.disconnect();
      await producer?.disconnect();
      consumer = undefined;
      producer = undefined;
    },
  };
}
