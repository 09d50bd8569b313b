// What the release-notification tests share: a schema registry of their own (its log on a random
// topic of the shared Kafka), a random notifications topic, and a reader of that topic that can
// tell when it has read everything Kafka holds, so "nobody else was notified" needs no sleep.
import { randomBytes } from 'node:crypto';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createKafkajs, createRdkafkaConsumer, ensureTopics } from '@zenthos/kafka';
import { createSerde, startRegistry, type OtaNotification, type RunningRegistry } from '@zenthos/schemas';

const env = loadConfig({ KAFKA_BROKERS: commonEnv.KAFKA_BROKERS }, process.env);

/** A notifications topic, its registry and its reader. */
export interface NotificationLab {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Settings for startHarness: notifications on, to this topic and registry. */
  readonly env: Record<string, string>;
  /** Every notification read so far. */
  readonly received: OtaNotification[];
  /** Starts reading the topic from its beginning (the OTA API creates it at start). */
  listen(): Promise<void>;
  /** Resolves once everything the topic holds now has been read; throws after `timeoutMs`. */
  drain(timeoutMs?: number): Promise<void>;
  /** Waits until `check` finds something among the notifications read; throws after `timeoutMs`. */
  waitFor<T>(what: string, check: (received: readonly OtaNotification[]) => T | undefined, timeoutMs?: number): Promise<T>;
  /** Stops the registry (its state stays in its Kafka topic): "the registry is down". */
  stopRegistry(): Promise<void>;
  /** Starts it again on the same port. */
  restartRegistry(): Promise<void>;
  close(): Promise<void>;
}

const poll = async <T>(
  what: string | (() => string),
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Creates the registry and names the topic; call `listen` once the OTA API is up. */
export async function startNotificationLab(): Promise<NotificationLab> {
  const prefix = `zo-notify-${randomBytes(5).toString('hex')}`;
  const topic = `${prefix}.ota.notifications`;
  const schemasTopic = `_schemas-${prefix}`;
  const kafka = createKafkajs({ brokers: env.KAFKA_BROKERS, clientId: `${prefix}-test` });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic: schemasTopic, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
  let registry: RunningRegistry | undefined;
  const start = (port: number): Promise<RunningRegistry> =>
    startRegistry({ brokers: env.KAFKA_BROKERS, port, host: '127.0.0.1', topic: schemasTopic, logLevel: 'silent' });
  try {
    // Under load the broker may briefly answer for a topic just created as if it had no leader
    // (KafkaJS "does not host this topic-partition"): a few bounded attempts.
    registry = await poll('the schema registry to start', () => start(0).catch(() => undefined), 30_000);
  } catch (err) {
    await admin.deleteTopics({ topics: [schemasTopic] }).catch(() => undefined);
    await admin.disconnect();
    throw err;
  }
  const registryPort = registry.port;
  const serde = createSerde({ registryUrl: registry.url });
  // librdkafka (the OTA API's producer) writes lz4 batches, which kafkajs cannot read.
  const consumer = createRdkafkaConsumer({ brokers: env.KAFKA_BROKERS, clientId: `${prefix}-reader`, groupId: `${prefix}-reader` });
  const received: OtaNotification[] = [];
  // Next offset to read, per partition.
  const positions = new Map<number, bigint>();
  let listening = false;
  let reading: Promise<void> | undefined;

  return {
    brokers: env.KAFKA_BROKERS,
    topic,
    env: {
      KAFKA_BROKERS: env.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: registry.url,
      OTA_NOTIFICATIONS: 'true',
      OTA_NOTIFICATIONS_TOPIC: topic,
    },
    received,
    async listen() {
      // A topic just created may not have leaders everywhere yet; a subscription then finds no partitions.
      await poll(
        `leaders of ${topic}`,
        async () => ((await admin.fetchTopicOffsets(topic).catch(() => [])).length > 0 ? true : undefined),
        30_000,
      );
      await consumer.connect();
      await consumer.subscribe([topic]);
      listening = true;
      reading = (async () => {
        while (listening) {
          for (const r of await consumer.poll(100, 200).catch(() => [])) {
            received.push((await serde.decode<OtaNotification>(r.value as Buffer)).value);
            positions.set(r.partition, BigInt(r.offset) + 1n);
          }
        }
      })();
    },
    async drain(timeoutMs = 30_000) {
      const ends = await admin.fetchTopicOffsets(topic);
      await poll(
        () =>
          `every record of ${topic} (ends ${JSON.stringify(ends)}, read up to ${JSON.stringify([...positions].map(([p, o]) => [p, String(o)]))})`,
        () => (ends.every((e) => BigInt(e.high) <= (positions.get(e.partition) ?? 0n)) ? true : undefined),
        timeoutMs,
      );
    },
    waitFor: (what, check, timeoutMs = 30_000) => poll(what, () => check(received), timeoutMs),
    async stopRegistry() {
      await registry?.stop();
      registry = undefined;
    },
    async restartRegistry() {
      registry ??= await start(registryPort);
    },
    async close() {
      if (listening) {
        listening = false;
        await reading;
        await consumer.disconnect();
      }
      await registry?.stop();
      await admin.deleteTopics({ topics: [topic, schemasTopic] }).catch(() => undefined);
      await admin.deleteGroups([`${prefix}-reader`]).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
