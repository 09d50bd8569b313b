// OTA reports over MQTT, end to end with the real services: a device publishes its report on
// `zenthos/{model}/{id}/status`; the bridge writes it to `<prefix>.status.raw`, the status
// processor enriches it into `<prefix>.status.enriched`, and the OTA API (status consumption on,
// its default) counts it in the rollout as `POST /device/{id}/ota-report` would.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { commonEnv, createLogger, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createKafkajs, ensureTopics } from '@zenthos/kafka';
import { startRegistry, type RunningRegistry } from '@zenthos/schemas';
import { loadOtaConfig } from '../src/config';
import { startOtaServer, type OtaServer } from '../src/main';

jest.setTimeout(120_000);

const env = loadConfig(
  { KAFKA_BROKERS: commonEnv.KAFKA_BROKERS, DATABASE_URL: commonEnv.DATABASE_URL, REDIS_URL: commonEnv.REDIS_URL },
  process.env,
);
const logger = createLogger({ service: 'ota-status-path-test', level: 'silent' });

/** What the test uses of the bridge and the stream processors (other workspace packages; jest resolves them to their sources). */
interface Stoppable {
  stop?(): Promise<void>;
  close?(): Promise<void>;
}
interface BridgeModule {
  loadBridgeConfig(env: Record<string, string>): unknown;
  startBridge(config: unknown, overrides: { logger: typeof logger }): Promise<Stoppable & { broker: { port: number } }>;
}
interface StreamsModule {
  loadProcessorConfig(env: Record<string, string>): unknown;
  startProcessor(config: unknown, options: { name: string; ops: boolean; logger: typeof logger }): Promise<Stoppable>;
  applyTopics(admin: unknown, topology: unknown, prefix: string): Promise<unknown>;
  zenthosTopology: unknown;
}
// Variable specifiers keep these packages out of the OTA API's compile-time dependencies.
const load = <T>(name: string): Promise<T> => import(name) as Promise<T>;

const MODEL = 'esp32-s3';
const prefix = `zo-${randomBytes(5).toString('hex')}`;
const admin = createKafkajs({ brokers: env.KAFKA_BROKERS, clientId: 'ota-status-path-test' }).admin();
let registry: RunningRegistry;
let db: TemporaryDatabase;
let ota: OtaServer;
let bridge: Stoppable & { broker: { port: number } };
let processor: Stoppable;
let dir: string;
let token: string;
const clients: MqttClient[] = [];

const api = async (method: string, path: string, json?: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(`${ota.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    ...(json ? { body: JSON.stringify(json) } : {}),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
};

const publishRelease = async (version: string): Promise<void> => {
  const form = new FormData();
  form.set('device_model', MODEL);
  form.set('version', version);
  form.set('file', new Blob([new Uint8Array(Buffer.alloc(256, 7))]), 'firmware.bin');
  const res = await fetch(`${ota.url}/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect(res.status).toBe(201);
};

/** A status message as the firmware builds it (firmware/common messages.ts, buildStatus) for an OTA report. */
const statusReport = (deviceId: string, state: 'installed' | 'failed', version: string) => ({
  message_id: randomUUID(),
  device_id: deviceId,
  device_model: MODEL,
  timestamp: Math.floor(Date.now() / 1000),
  state: 'online',
  firmware_version: state === 'installed' ? version : 'v1.0.0',
  model_version: null,
  uptime_s: 12,
  ota: { state, release_version: version, artifact: 'firmware', error: state === 'failed' ? 'ZEN_FW_SELF_TEST_FAILED' : null },
});

const eventually = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

beforeAll(async () => {
  const streams = await load<StreamsModule>('@zenthos/streams');
  const bridgeModule = await load<BridgeModule>('@zenthos/mqtt-bridge');
  await admin.connect();
  await streams.applyTopics(admin, streams.zenthosTopology, prefix);
  await ensureTopics(admin, [{ topic: `_schemas-${prefix}`, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
  registry = await startRegistry({
    brokers: env.KAFKA_BROKERS,
    port: 0,
    host: '127.0.0.1',
    topic: `_schemas-${prefix}`,
    logLevel: 'silent',
  });
  db = await createTemporaryDatabase(env.DATABASE_URL);
  dir = mkdtempSync(join(tmpdir(), 'zenthos-ota-status-'));
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: env.KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL: registry.url,
    DEVICE_TOKEN_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    DEVICE_REVOCATION_CACHE_MS: '0',
    LOG_LEVEL: 'silent',
  };
  // OTA_STATUS_FROM_KAFKA is left to its default: on.
  ota = await startOtaServer(
    loadOtaConfig({
      ...common,
      OTA_STATUS_TOPIC: `${prefix}.status.enriched`,
      OTA_STATUS_GROUP_ID: `${prefix}.ota-status`,
      OTA_NOTIFICATIONS_TOPIC: `${prefix}.ota.notifications`,
      OTA_CACHE: 'none',
      OTA_PORT: '0',
      OTA_HOST: '127.0.0.1',
      OTA_STORAGE_DIR: join(dir, 'artifacts'),
      ZENTHOS_KEYS_DIR: join(dir, 'keys'),
      OTA_GAUGE_INTERVAL_MS: '0',
    }),
    { logger },
  );
  expect(ota.statusConsumer).toBeDefined();
  token = (await ota.parts.tokens.create('status-path', 'read,publish,rollback')).token;
  processor = await streams.startProcessor(
    streams.loadProcessorConfig({
      ...common,
      REDIS_URL: env.REDIS_URL,
      STREAMS_TOPIC_PREFIX: prefix,
      PROCESSOR_AUTO_REGISTER: 'true',
      PROCESSOR_INSTANCE_ID: 'status-path-test',
      PROCESSOR_SESSION_TIMEOUT_MS: '6000',
      PROCESSOR_ACTIVITY_FLUSH_MS: '200',
    }),
    { name: 'status', ops: false, logger },
  );
  bridge = await bridgeModule.startBridge(
    bridgeModule.loadBridgeConfig({
      ...common,
      BRIDGE_TOPIC_PREFIX: prefix,
      BRIDGE_MQTT_HOST: '127.0.0.1',
      BRIDGE_MQTT_PORT: '0',
      BRIDGE_OPS_PORT: '0',
      BRIDGE_OTA_GROUP_ID: `${prefix}.bridge-ota`,
    }),
    { logger },
  );
});

afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => undefined);
  await bridge?.close?.();
  await processor?.stop?.();
  await ota?.close();
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
  await admin.deleteGroups(groups).catch(() => undefined);
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) || t === `_schemas-${prefix}`);
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
  await registry?.stop();
  await db?.drop();
  const { Redis } = await import('ioredis');
  const redis = new Redis(env.REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('OTA reports from the MQTT status topic', () => {
  it('a report a device publishes over MQTT updates its rollout membership and its installed version', async () => {
    const ids = [`${prefix}-a`, `${prefix}-b`];
    const tokens = new Map<string, string>();
    for (const id of ids) tokens.set(id, (await ota.parts.devices.registerDevice({ id, model: MODEL })).token);
    await publishRelease('v1.0.0');
    await publishRelease('v2.0.0');
    const rollout = await api('POST', '/rollouts', {
      device_model: MODEL,
      version: 'v2.0.0',
      cohort: { type: 'devices', deviceIds: ids },
      stages: [{ percent: 100, failureThreshold: 0.6, minDevices: 2 }],
    });
    for (const [id, state] of [
      [ids[0], 'installed'],
      [ids[1], 'failed'],
    ] as const) {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.broker.port}`, {
        clientId: id,
        username: id,
        password: tokens.get(id as string),
        reconnectPeriod: 0,
      });
      clients.push(client);
      // QoS 1: the PUBACK comes once Kafka has the message.
      await client.publishAsync(`zenthos/${MODEL}/${id}/status`, JSON.stringify(statusReport(id as string, state, 'v2.0.0')), { qos: 1 });
    }
    const reports = await eventually('both reports in the rollout', async () => {
      const view = await api('GET', `/rollouts/${String(rollout.id)}`);
      const stage = (view.reports as Record<string, Record<string, number>>)['0'];
      return stage?.installed === 1 && stage.failed === 1 ? view : undefined;
    });
    expect(reports).toMatchObject({ status: 'active', reports: { '0': { installed: 1, failed: 1 } } });
    const device = await api('GET', `/device/${ids[0]}/status`);
    expect(device).toMatchObject({ firmware_version: 'v2.0.0' });
    expect(ota.statusConsumer?.stats().applied).toBe(2);
  });
});
