// Release notifications end to end, against the real Kafka, registry, Postgres and MQTT: the OTA
// API (in-process, notifications on) writes one record per device whose offer changed, and the
// bridge relays each to the device's `zenthos/{model}/{id}/ota` topic at QoS 1, retained.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createRdkafkaProducer } from '@zenthos/kafka';
import { contracts } from '@zenthos/schemas';
import { startBridge, type Bridge } from '../src/main';
import { createHarness, eventually, silentLogger, sleep, type Harness } from './harness';

jest.setTimeout(90_000);

/** What the test uses of @zenthos/ota-api (another workspace package; jest resolves it to its sources). */
interface OtaApiModule {
  loadOtaConfig(env: Record<string, string>): unknown;
  startOtaServer(
    config: unknown,
    options: { logger: typeof silentLogger },
  ): Promise<{
    url: string;
    parts: { tokens: { create(name: string, scopes: string): Promise<{ token: string }> } };
    close(): Promise<void>;
  }>;
  isTargeted(rollout: unknown, device: { id: string; model: string; tags: string[] }): boolean;
}

interface Notice {
  message_id: string;
  device_id: string;
  device_model: string;
  kind: string;
  version: string | null;
  reason: string;
  rollout_id: string | null;
  timestamp: number;
}

const S3 = 'esp32-s3';
const CAM = 'esp32-cam';
let h: Harness;
let bridge: Bridge;
let otaModule: OtaApiModule;
let ota: Awaited<ReturnType<OtaApiModule['startOtaServer']>>;
let token: string;
let dir: string;
let topic: string;
const clients: MqttClient[] = [];
/** Notifications received, per device id, in order. */
const inbox = new Map<string, { notice: Notice; retain: boolean }[]>();
const devices: { id: string; model: string; token: string }[] = [];

const connectDevice = async (d: { id: string; model: string; token: string }): Promise<MqttClient> => {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.broker?.port}`, {
    clientId: d.id,
    username: d.id,
    password: d.token,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  clients.push(client);
  inbox.set(d.id, inbox.get(d.id) ?? []);
  client.on('message', (t, payload, packet) => {
    if (t === `zenthos/${d.model}/${d.id}/ota`)
      inbox.get(d.id)?.push({ notice: JSON.parse(payload.toString()) as Notice, retain: packet.retain });
  });
  const granted = await client.subscribeAsync(`zenthos/${d.model}/${d.id}/ota`, { qos: 1 });
  expect(granted[0]?.qos).toBe(1);
  return client;
};

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

const publishRelease = async (model: string, version: string): Promise<void> => {
  const form = new FormData();
  form.set('device_model', model);
  form.set('version', version);
  form.set('file', new Blob([new Uint8Array(Buffer.alloc(512, version.length))]), 'firmware.bin');
  const res = await fetch(`${ota.url}/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  expect({ status: res.status, body: res.status === 201 ? undefined : await res.text() }).toEqual({ status: 201, body: undefined });
};

const versionsOf = (id: string): (string | null)[] => (inbox.get(id) ?? []).map((m) => m.notice.version);
/** How many notifications each device has now. */
const marks = (): Map<string, number> => new Map([...inbox].map(([id, list]) => [id, list.length]));
/** Notifications a device received since `mark`. */
const since = (mark: Map<string, number>, id: string): Notice[] => (inbox.get(id) ?? []).slice(mark.get(id) ?? 0).map((m) => m.notice);
/** Devices among `ids` that received anything since `mark`. */
const newSince = (mark: Map<string, number>, ids: readonly string[]): string[] => ids.filter((id) => since(mark, id).length > 0);
/** Waits until every device of `ids` received `version` since `mark`; returns the first device's notice. */
const settled = async (mark: Map<string, number>, ids: readonly string[], version: string): Promise<Notice> => {
  await eventually(
    () => (ids.every((id) => since(mark, id).some((n) => n.version === version)) ? true : undefined),
    30_000,
    `${version} on ${ids.join(', ')}`,
  );
  return since(mark, ids[0] as string).find((n) => n.version === version) as Notice;
};
const s3 = (): typeof devices => devices.filter((d) => d.model === S3);
const idsWith = (version: string, count: number): string[] =>
  [...inbox]
    .filter(([, list]) => list.filter((m) => m.notice.version === version).length >= count)
    .map(([id]) => id)
    .sort();

beforeAll(async () => {
  h = await createHarness();
  topic = `${h.prefix}.ota.notifications`;
  dir = mkdtempSync(join(tmpdir(), 'zenthos-ota-notify-'));
  const bridgeConfig = h.config({ BRIDGE_OTA_GROUP_ID: `${h.prefix}-ota` });
  // A variable specifier keeps the OTA API out of the bridge's compile-time dependencies.
  const otaPackage = '@zenthos/ota-api';
  otaModule = (await import(otaPackage)) as OtaApiModule;
  ota = await otaModule.startOtaServer(
    otaModule.loadOtaConfig({
      DATABASE_URL: bridgeConfig.DATABASE_URL,
      DEVICE_TOKEN_PRIVATE_KEY: bridgeConfig.DEVICE_TOKEN_PRIVATE_KEY as string,
      KAFKA_BROKERS: bridgeConfig.KAFKA_BROKERS.join(','),
      SCHEMA_REGISTRY_URL: h.registry.url,
      OTA_NOTIFICATIONS: 'true',
      OTA_NOTIFICATIONS_TOPIC: topic,
      OTA_STATUS_FROM_KAFKA: 'false',
      OTA_CACHE: 'none',
      OTA_PORT: '0',
      OTA_HOST: '127.0.0.1',
      OTA_STORAGE_DIR: join(dir, 'artifacts'),
      ZENTHOS_KEYS_DIR: join(dir, 'keys'),
      OTA_GAUGE_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    }),
    { logger: silentLogger },
  );
  token = (await ota.parts.tokens.create('notify-test', 'read,publish,rollback')).token;
  bridge = await startBridge(bridgeConfig, { logger: silentLogger });
  for (let i = 0; i < 8; i++) {
    const id = `${h.prefix}-s3-${i}`;
    devices.push({ id, model: S3, token: (await h.devices.registerDevice({ id, model: S3 })).token });
  }
  const cam = `${h.prefix}-cam-0`;
  devices.push({ id: cam, model: CAM, token: (await h.devices.registerDevice({ id: cam, model: CAM })).token });
  // The last esp32-s3 device connects later, to find the retained notification.
  for (const d of devices.slice(0, 7)) await connectDevice(d);
  await connectDevice(devices[8] as (typeof devices)[number]);
});

afterAll(async () => {
  for (const c of clients) await c.endAsync().catch(() => undefined);
  await bridge?.close();
  await ota?.close();
  const admin = h.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(h.prefix));
  await admin.deleteGroups(groups).catch(() => undefined);
  await admin.disconnect();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OTA release notifications', () => {
  it('a release published without a rollout reaches every connected device of its model, and no other model', async () => {
    await publishRelease(S3, 'v1.0.0');
    const connected = s3()
      .slice(0, 7)
      .map((d) => d.id)
      .sort();
    expect(
      await eventually(() => (idsWith('v1.0.0', 1).length === 7 ? idsWith('v1.0.0', 1) : undefined), 30_000, 'v1.0.0 on 7 devices'),
    ).toEqual(connected);
    const first = inbox.get(connected[0] as string)?.[0];
    expect(first?.notice).toMatchObject({ device_model: S3, kind: 'firmware', version: 'v1.0.0', reason: 'published', rollout_id: null });
    expect(first?.notice.message_id).toMatch(/^[0-9a-f-]{36}$/);
    // Without Redis or an external broker, the bridge reads under a group of its own.
    const admin = h.kafka.admin();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    expect(groups.filter((g) => g.startsWith(`${h.prefix}-ota.`))).toHaveLength(1);
    // The other model's device: the release of esp32-s3 is none of its business.
    await sleep(1_000);
    expect(inbox.get(`${h.prefix}-cam-0`)).toEqual([]);
  });

  it('a device that connects later finds the newest notification retained on its topic', async () => {
    const late = s3()[7] as (typeof devices)[number];
    await connectDevice(late);
    const got = await eventually(() => inbox.get(late.id)?.[0], 10_000, 'retained notification');
    expect(got.retain).toBe(true);
    expect(got.notice).toMatchObject({ device_id: late.id, version: 'v1.0.0', reason: 'published' });
  });

  it('a rollout notifies only the devices inside its stage, its completion the rest, and rollbacks everyone it moved', async () => {
    const ids = s3().map((d) => d.id);
    const cohort = ids.slice(0, 3);
    const outside = ids.slice(3);
    // v2.0.0 published: everyone's latest; a first rollout of it takes it back from the devices
    // outside its cohort, and its abort from the rest (nothing is lost: each offer change is sent).
    let mark = marks();
    await publishRelease(S3, 'v2.0.0');
    await settled(mark, ids, 'v2.0.0');
    mark = marks();
    const first = await api('POST', '/rollouts', {
      device_model: S3,
      version: 'v2.0.0',
      cohort: { type: 'devices', deviceIds: cohort },
      stages: [{ percent: 100 }],
    });
    expect(await settled(mark, outside, 'v1.0.0')).toMatchObject({ reason: 'rollout_created', rollout_id: null });
    // The cohort keeps v2.0.0 (now through the rollout): its offer did not move.
    expect(newSince(mark, cohort)).toEqual([]);
    mark = marks();
    await api('POST', `/rollouts/${String(first.id)}/abort`, {});
    expect(await settled(mark, cohort, 'v1.0.0')).toMatchObject({ reason: 'rollout_aborted', rollout_id: null });
    expect(newSince(mark, outside)).toEqual([]);

    // Now v2.0.0 is held back for everybody: a rollout to three devices reaches exactly them.
    mark = marks();
    const rollout = await api('POST', '/rollouts', {
      device_model: S3,
      version: 'v2.0.0',
      cohort: { type: 'devices', deviceIds: cohort },
      stages: [{ percent: 100 }],
    });
    expect(await settled(mark, cohort, 'v2.0.0')).toMatchObject({ reason: 'rollout_created', rollout_id: rollout.id, kind: 'firmware' });
    await sleep(1_000);
    expect(newSince(mark, outside)).toEqual([]);
    expect(inbox.get(`${h.prefix}-cam-0`)).toEqual([]);

    // Completing it makes v2.0.0 everyone's latest: only the devices outside the cohort move.
    mark = marks();
    await api('POST', `/rollouts/${String(rollout.id)}/advance`, {});
    expect(await settled(mark, outside, 'v2.0.0')).toMatchObject({ reason: 'rollout_completed', rollout_id: null });
    expect(newSince(mark, cohort)).toEqual([]);

    // Yanking it is a rollback of the whole model to v1.0.0.
    mark = marks();
    await api('POST', `/releases/firmware/${S3}/v2.0.0/yank`, { reason: 'bad build' });
    expect(await settled(mark, ids, 'v1.0.0')).toMatchObject({ reason: 'yanked', version: 'v1.0.0' });
    expect(inbox.get(`${h.prefix}-cam-0`)).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.ops.port}/metrics`)).text();
    const sent = /^zenthos_ota_notifications_sent_total\{[^}]*\} (\d+)/gm;
    const total = [...metrics.matchAll(sent)].reduce((n, m) => n + Number(m[1]), 0);
    expect(total).toBe([...inbox.values()].reduce((n, list) => n + list.filter((m) => !m.retain).length, 0) + 1);
  });

  it('in external-broker mode the notification is published, retained, to the external broker', async () => {
    const mosquittoUrl = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
    const external = await startBridge(
      h.config({
        MQTT_URL: mosquittoUrl,
        BRIDGE_SHARE_GROUP: h.prefix,
        BRIDGE_CLIENT_ID: `${h.prefix}-ext`,
        BRIDGE_EXTERNAL_CONNECTIONS: '1',
        BRIDGE_OTA_GROUP_ID: `${h.prefix}-ota-ext`,
      }),
      { logger: silentLogger },
    );
    const device = s3()[0] as (typeof devices)[number];
    const topicOf = (d: { id: string; model: string }): string => `zenthos/${d.model}/${d.id}/ota`;
    const seen: { notice: Notice; retain: boolean }[] = [];
    const subscriber = await mqtt.connectAsync(mosquittoUrl, { clientId: `${h.prefix}-ext-sub`, reconnectPeriod: 0 });
    try {
      subscriber.on('message', (t, payload, packet) => {
        if (t === topicOf(device) && payload.length > 0)
          seen.push({ notice: JSON.parse(payload.toString()) as Notice, retain: packet.retain });
      });
      await subscriber.subscribeAsync(topicOf(device), { qos: 1 });
      await publishRelease(S3, 'v2.5.0');
      const got = await eventually(() => seen.find((m) => m.notice.version === 'v2.5.0'), 30_000, 'v2.5.0 on the external broker');
      expect(got.notice).toMatchObject({ device_id: device.id, reason: 'published', kind: 'firmware' });
      // Retained there too: a subscriber arriving now gets it at once.
      const late = await mqtt.connectAsync(mosquittoUrl, { clientId: `${h.prefix}-ext-late`, reconnectPeriod: 0 });
      const retained = new Promise<{ notice: Notice; retain: boolean }>((resolve) =>
        late.on('message', (_t, payload, packet) => resolve({ notice: JSON.parse(payload.toString()) as Notice, retain: packet.retain })),
      );
      await late.subscribeAsync(topicOf(device), { qos: 1 });
      expect(await retained).toMatchObject({ retain: true, notice: { version: 'v2.5.0' } });
      await late.endAsync();
    } finally {
      // Mosquitto keeps retained messages: clear this test's (an empty retained message deletes one).
      for (const d of devices) await subscriber.publishAsync(topicOf(d), Buffer.alloc(0), { qos: 1, retain: true });
      await subscriber.endAsync();
      await external.close();
    }
  });

  it('a record that is no notification goes to the DLQ and the relay goes on', async () => {
    const producer = createRdkafkaProducer({ brokers: h.config().KAFKA_BROKERS, clientId: `${h.prefix}-garbage` });
    await producer.connect();
    try {
      await producer.send([{ topic, key: `${h.prefix}-s3-0`, value: Buffer.from('not avro') }]);
      // Valid Avro, but keyed by another device: it would break the per-device order.
      const foreign: Notice = {
        message_id: '00000000-0000-4000-8000-000000000000',
        device_id: `${h.prefix}-s3-1`,
        device_model: S3,
        kind: 'firmware',
        version: 'v9.9.9',
        reason: 'published',
        rollout_id: null,
        timestamp: 0,
      };
      const value = await h.serde.encode(`${topic}-value`, foreign, { schema: contracts['ota-notifications'].schema });
      await producer.send([{ topic, key: `${h.prefix}-s3-0`, value }]);
    } finally {
      await producer.disconnect();
    }
    const dead = await eventually(
      () => h.records('dlq').find((r) => r.headers['zenthos.dlq.source.topic']?.toString() === topic),
      30_000,
      'dead letter',
    );
    expect(dead.headers['zenthos.dlq.reason']?.toString()).toBe('ZEN_DECODE_BAD_MAGIC');
    expect(dead.value?.toString()).toBe('not avro');
    const misKeyed = await eventually(
      () => h.records('dlq').find((r) => r.headers['zenthos.dlq.source.topic']?.toString() === topic && r !== dead),
      30_000,
      'second dead letter',
    );
    expect(misKeyed.headers['zenthos.dlq.reason']?.toString()).toBe('ZEN_PAYLOAD_INVALID');
    expect(misKeyed.headers['zenthos.dlq.source.offset']?.toString()).toBe(
      String(BigInt(dead.headers['zenthos.dlq.source.offset']?.toString() ?? '0') + 1n),
    );
    expect(versionsOf(`${h.prefix}-s3-1`)).not.toContain('v9.9.9');
    const mark = marks();
    await publishRelease(S3, 'v3.0.0');
    await settled(
      mark,
      s3().map((d) => d.id),
      'v3.0.0',
    );
  });
});
