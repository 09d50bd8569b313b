// The benchmarks' load generator (runLoad of @zenthos/testing) against the real brokers: the
// stack's Mosquitto, and the bridge started the way `zenthos bench` starts it. Messages are
// counted where they arrive (an mqtt.js subscriber and the lean startSubscriber of the
// baselines; the bridge's raw Kafka topic): every acknowledged message arrives exactly once,
// with the payload the firmware would send.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import { deleteTopics, freePlatformPorts, startPlatform, type Platform, type PlatformPorts } from '@zenthos/demo';
import { uuidV4Pattern } from '@zenthos/firmware-common';
import { createRdkafkaConsumer } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import { readMessageId, runLoad, startLoadProcess, startSubscriber, type LoadDevice, type MqttSubscriber } from '@zenthos/testing';
import { ZenthosError } from '@zenthos/core';

const mosquittoUrl = process.env.BENCH_MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos';
const model = 'esp32-s3';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('load generator against Mosquitto', () => {
  it.each([4, 5] as const)(
    'delivers every acknowledged message once to each subscriber (MQTT level %d)',
    async (protocolVersion) => {
      const root = `zenthos-loadgen-${randomBytes(4).toString('hex')}`;
      const subscriber = await mqtt.connectAsync(mosquittoUrl, { clientId: `${root}-sub`, clean: true, reconnectPeriod: 0 });
      const received = new Map<string, number>();
      const payloads: Array<Record<string, unknown>> = [];
      subscriber.on('message', (_topic, payload) => {
        const message = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
        if (payloads.length < 3) payloads.push(message);
        const id = message.message_id as string;
        received.set(id, (received.get(id) ?? 0) + 1);
      });
      const leanReceived = new Map<string, number>();
      let lean: MqttSubscriber | undefined;
      try {
        await subscriber.subscribeAsync(`${root}/#`, { qos: 1 });
        lean = await startSubscriber({
          url: mosquittoUrl,
          clientId: `${root}-lean`,
          topicFilter: `${root}/#`,
          protocolVersion,
          onMessage: (buf, start, end) => {
            const id = readMessageId(buf, start, end) ?? 'none';
            leanReceived.set(id, (leanReceived.get(id) ?? 0) + 1);
          },
        });
        const devices: LoadDevice[] = Array.from({ length: 6 }, (_, i) => ({
          id: `${root}-${i}`,
          token: '',
          topic: `${root}/${model}/${i}/telemetry`,
        }));
        // More messages per connection than a window holds, and an odd window: refills of every size.
        const result = await runLoad({ url: mosquittoUrl, model, devices, messagesPerDevice: 700, inFlight: 7, protocolVersion });
        expect(result).toMatchObject({ sent: 4_200, acknowledged: 4_200, errors: 0 });
        expect(result.firstError).toBeUndefined();
        expect(result.ackLatenciesMs).toHaveLength(4_200);
        expect(result.publishedAt.size).toBe(4_200);
        for (let i = 0; i < 100 && (received.size < 4_200 || leanReceived.size < 4_200); i++) await sleep(100);
        expect(received.size).toBe(4_200);
        expect([...received.values()].every((n) => n === 1)).toBe(true);
        expect([...result.publishedAt.keys()].every((id) => received.has(id) && uuidV4Pattern.test(id))).toBe(true);
        expect(lean.received).toBe(4_200);
        expect([...leanReceived.keys()].sort()).toEqual([...received.keys()].sort());
        expect([...leanReceived.values()].every((n) => n === 1)).toBe(true);
        expect(payloads[0]).toEqual({
          message_id: expect.stringMatching(uuidV4Pattern),
          device_id: expect.stringMatching(new RegExp(`^${root}-\\d$`)),
          device_model: model,
          timestamp: expect.any(Number),
          sensors: { temperature: expect.any(Number), humidity: expect.any(Number) },
          firmware_version: 'v0.1.0',
          model_version: null,
        });
        expect(Math.abs((payloads[0]?.timestamp as number) - Date.now() / 1000)).toBeLessThan(120);
      } finally {
        await subscriber.endAsync(true);
        await lean?.close();
      }
    },
    60_000,
  );

  it('paced (--rate), in a process of its own: every message acknowledged and delivered once, the pacing reported', async () => {
    const root = `zenthos-loadgen-${randomBytes(4).toString('hex')}`;
    const leanReceived = new Map<string, number>();
    const lean = await startSubscriber({
      url: mosquittoUrl,
      clientId: `${root}-lean`,
      topicFilter: `${root}/#`,
      onMessage: (buf, start, end) => {
        const id = readMessageId(buf, start, end) ?? 'none';
        leanReceived.set(id, (leanReceived.get(id) ?? 0) + 1);
      },
    });
    const loadProcess = await startLoadProcess();
    try {
      const devices: LoadDevice[] = Array.from({ length: 5 }, (_, i) => ({
        id: `${root}-${i}`,
        token: '',
        topic: `${root}/${model}/${i}/telemetry`,
      }));
      // 5 devices × 200 messages at 2,000 msg/s: one message per device every 2.5 ms, a 2 ms tick.
      const result = await loadProcess.run({
        url: mosquittoUrl,
        model,
        devices,
        messagesPerDevice: 200,
        inFlight: 4,
        ratePerSecond: 2_000,
      });
      expect(result).toMatchObject({ sent: 1_000, acknowledged: 1_000, errors: 0 });
      expect(result.pacing).toEqual({ ratePerSecond: 2_000, intervalMs: 2.5, tickMs: 2, maxBurst: 8, skippedSlots: expect.any(Number) });
      expect(result.lastPublishMs).toBeGreaterThanOrEqual(result.firstPublishMs);
      expect(result.publishedAt.size).toBe(1_000);
      for (let i = 0; i < 100 && leanReceived.size < 1_000; i++) await sleep(100);
      expect([...result.publishedAt.keys()].every((id) => leanReceived.get(id) === 1)).toBe(true);
      expect(leanReceived.size).toBe(1_000);
    } finally {
      await loadProcess.close();
      await lean.close();
    }
  }, 60_000);

  it('refuses a rate that defines no schedule', async () => {
    await expect(
      runLoad({ url: mosquittoUrl, model, devices: [], messagesPerDevice: 1, inFlight: 1, ratePerSecond: 0 }),
    ).rejects.toMatchObject({
      code: 'ZEN_BAD_REQUEST',
    });
  });
});

describe('load generator against the bridge as the benchmark starts it', () => {
  const run = randomBytes(4).toString('hex');
  const topicPrefix = `loadgen${run}`;
  const registryTopic = `_schemas_loadgen${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-loadgen-'));
  let db: TemporaryDatabase;
  let platform: Platform | undefined;
  let devices: LoadDevice[];
  let mqttUrl: string;
  let registryUrl: string;

  beforeAll(async () => {
    db = await createTemporaryDatabase(databaseUrl);
    const keysDir = join(dir, 'keys');
    const registry = createDeviceRegistryFromConfig(loadDevicesConfig({ DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: keysDir }), db.pool);
    devices = [];
    for (let i = 0; i < 4; i++) {
      const id = `loadgen-${run}-${i}`;
      const { token } = await registry.registerDevice({ id, model });
      devices.push({ id, token, topic: `zenthos/${model}/${id}/telemetry` });
    }
    const ports: PlatformPorts = await freePlatformPorts();
    mqttUrl = `mqtt://127.0.0.1:${ports.mqtt}`;
    registryUrl = `http://127.0.0.1:${ports.registry}`;
    platform = await startPlatform(
      ports,
      {
        topicPrefix,
        rabbitPrefix: `loadgen-${run}.`,
        redisPrefix: `zenthos-loadgen:${run}:`,
        registryTopic,
        databaseUrl: db.url,
        storageDir: join(dir, 'artifacts'),
        keysDir,
        logLevel: 'warn',
        without: ['processor-telemetry', 'processor-status', 'sink', 'rabbit', 'alerts', 'ota'],
      },
      { logDir: join(dir, 'logs'), env: process.env },
    );
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await deleteTopics(brokers, topicPrefix, [registryTopic]).catch(() => undefined);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('every acknowledged message becomes exactly one record of the raw topic', async () => {
    const result = await runLoad({ url: mqttUrl, model, devices, messagesPerDevice: 250, inFlight: 16 });
    expect(result).toMatchObject({ sent: 1_000, acknowledged: 1_000, errors: 0 });

    const consumer = createRdkafkaConsumer({
      brokers,
      clientId: `loadgen-${run}`,
      groupId: `${topicPrefix}.loadgen-test`,
      fromBeginning: true,
    });
    await consumer.connect();
    // A raw record carries its message_id in the Avro value only (no header): decode each.
    const serde = createSerde({ registryUrl });
    const seen = new Map<string, number>();
    const count = async (values: ReadonlyArray<Buffer | null>): Promise<void> => {
      for (const value of values) {
        if (!value) continue;
        const id = (await serde.decode<{ message_id: string }>(value)).value.message_id;
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    };
    try {
      await consumer.subscribe([`${topicPrefix}.telemetry.raw`]);
      const deadline = Date.now() + 60_000;
      while (seen.size < 1_000 && Date.now() < deadline) {
        await count((await consumer.poll(500, 200)).map((r) => r.value));
      }
      // A little longer: a duplicate would arrive after the last first copy.
      await count((await consumer.poll(500, 1_000)).map((r) => r.value));
    } finally {
      await consumer.disconnect();
    }
    expect(seen.size).toBe(1_000);
    expect([...seen.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...result.publishedAt.keys()].filter((id) => !seen.has(id))).toEqual([]);
  }, 120_000);

  it('reports a refused connection with its return code', async () => {
    const [first] = devices;
    const wrong = { ...(first as LoadDevice), token: 'not-a-token' };
    const attempt = runLoad({ url: mqttUrl, model, devices: [wrong], messagesPerDevice: 1, inFlight: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ZenthosError);
    await expect(attempt).rejects.toMatchObject({ code: expect.stringMatching(/^ZEN_MQTT_(BAD_CREDENTIALS|NOT_AUTHORIZED)$/) });
    await expect(attempt).rejects.toThrow(/return code [45] \(/);
  }, 30_000);
});
