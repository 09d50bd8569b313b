// Shared set-up of the bridge's integration tests: a private schema registry (own state topic),
// a temporary migrated database, a random Kafka topic prefix, and helpers to read what the
// bridge produced. Everything targets 127.0.0.1 and is removed afterwards.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger, type Logger } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig, type DeviceRegistry } from '@zenthos/devices';
import { createSerde, startRegistry, type RunningRegistry, type Serde } from '@zenthos/schemas';
import { createRdkafkaConsumer, type IncomingRecord } from '@zenthos/kafka';
import { loadBridgeConfig, type BridgeConfig } from '../src/config';
import { messageKinds } from '../src/domain/topics';

export const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const adminDbUrl = process.env.DATABASE_URL ?? 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos';

export const silentLogger: Logger = createLogger({ service: 'mqtt-bridge-test', level: 'silent' });

export const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Everything a test file needs around the bridge. */
export interface Harness {
  readonly prefix: string;
  readonly registry: RunningRegistry;
  readonly db: TemporaryDatabase;
  readonly devices: DeviceRegistry;
  readonly serde: Serde;
  readonly kafka: Kafka;
  /** Bridge settings for this harness, with overrides. */
  config(extra?: Record<string, string>): BridgeConfig;
  /** Records of one of the bridge's topics (`telemetry.raw`, `dlq`, ...), collected from the start. */
  records(suffix: string): IncomingRecord[];
  /**
   * The message id of a record the bridge produced: a raw record's from its Avro value (raw
   * records carry no message_id header), a DLQ record's from its `message_id` header.
   */
  messageIdOf(record: IncomingRecord): Promise<string | undefined>;
  /** The first collected record of a topic (`telemetry.raw`, `dlq`, ...) with this message id, if any yet. */
  findByMessageId(suffix: string, messageId: string): Promise<IncomingRecord | undefined>;
  close(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const prefix = `zt-${randomBytes(5).toString('hex')}`;
  const registry = await startRegistry({ brokers, port: 0, host: '127.0.0.1', topic: `_schemas-${prefix}`, logLevel: 'silent' });
  const db = await createTemporaryDatabase(adminDbUrl);
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    DEVICE_TOKEN_PRIVATE_KEY: pem,
    // Revocation must reach live sessions fast in these tests.
    DEVICE_REVOCATION_CACHE_MS: '0',
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registry.url,
    LOG_LEVEL: 'silent',
    BRIDGE_MQTT_HOST: '127.0.0.1',
    BRIDGE_MQTT_PORT: '0',
    BRIDGE_OPS_PORT: '0',
    BRIDGE_TOPIC_PREFIX: prefix,
    BRIDGE_REVOCATION_CHECK_MS: '200',
    BRIDGE_CONNECT_TIMEOUT_MS: '3000',
  };
  const devices = createDeviceRegistryFromConfig(loadDevicesConfig(env), db.pool);
  const kafka = new Kafka({ clientId: `bridge-test-${prefix}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [...messageKinds.map((k) => `${prefix}.${k}.raw`), `${prefix}.dlq`].map((topic) => ({ topic, numPartitions: 1 })),
  });
  // librdkafka writes lz4 batches, which kafkajs cannot read: the records are read with rdkafka too.
  const collected = new Map<string, IncomingRecord[]>();
  const consumer = createRdkafkaConsumer({ brokers, clientId: `bridge-test-${prefix}`, groupId: `bridge-test-${prefix}-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe([...messageKinds.map((k) => `${prefix}.${k}.raw`), `${prefix}.dlq`]);
  let polling = true;
  const loop = (async () => {
    while (polling) {
      for (const r of await consumer.poll(100, 200).catch(() => [])) {
        const list = collected.get(r.topic) ?? [];
        list.push(r);
        collected.set(r.topic, list);
      }
    }
  })();
  const serde = createSerde({ registryUrl: registry.url });
  const records = (suffix: string): IncomingRecord[] => collected.get(`${prefix}.${suffix}`) ?? [];
  // Decoded once per record: `eventually` looks the same records up again every 100 ms.
  const ids = new WeakMap<IncomingRecord, string | undefined>();
  const messageIdOf = async (r: IncomingRecord): Promise<string | undefined> => {
    if (ids.has(r)) return ids.get(r);
    let id: string | undefined;
    if (r.topic === `${prefix}.dlq`) id = r.headers['message_id']?.toString();
    else if (r.value) id = (await serde.decode<{ message_id: string }>(r.value)).value.message_id;
    ids.set(r, id);
    return id;
  };
  const findByMessageId = async (suffix: string, messageId: string): Promise<IncomingRecord | undefined> => {
    for (const r of [...records(suffix)]) if ((await messageIdOf(r)) === messageId) return r;
    return undefined;
  };
  return {
    prefix,
    registry,
    db,
    devices,
    serde,
    kafka,
    config: (extra = {}) => loadBridgeConfig({ ...env, ...extra }),
    records,
    messageIdOf,
    findByMessageId,
    async close() {
      polling = false;
      await loop;
      await consumer.disconnect();
      await admin
        .deleteTopics({ topics: [...messageKinds.map((k) => `${prefix}.${k}.raw`), `${prefix}.dlq`, `_schemas-${prefix}`] })
        .catch(() => undefined);
      await admin.disconnect();
      await registry.stop();
      await db.drop();
    },
  };
}

/** A telemetry payload of the spec (§5) for a device, at the current time. */
export const telemetryOf = (deviceId: string, model: string, sensors: Record<string, number> = { temperature: 26.7, humidity: 61.2 }) => ({
  message_id: randomUUID(),
  device_id: deviceId,
  device_model: model,
  timestamp: Math.floor(Date.now() / 1000),
  sensors,
  firmware_version: 'v0.1.0',
  model_version: 'm-20250730-abc',
});
