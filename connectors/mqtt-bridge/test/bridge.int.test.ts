import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { TelemetryRaw } from '@zenthos/schemas';
import { prometheusNames } from '@zenthos/telemetry';
import { startBridge, type Bridge } from '../src/main';
import { headerNames } from '../src/domain/ingest';
import { createHarness, eventually, silentLogger, sleep, telemetryOf, type Harness } from './harness';

jest.setTimeout(60_000);

const MODEL = 'esp32-s3';
let h: Harness;
let bridge: Bridge;
let url: string;
const clients: MqttClient[] = [];

const register = async (suffix: string, model = MODEL): Promise<{ id: string; token: string; model: string }> => {
  const id = `${h.prefix}-${suffix}`;
  const { token } = await h.devices.registerDevice({ id, model });
  return { id, token, model };
};

const connectDevice = async (device: { id: string; token: string }, options: mqtt.IClientOptions = {}): Promise<MqttClient> => {
  const client = await mqtt.connectAsync(url, {
    clientId: device.id,
    username: device.id,
    password: device.token,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ...options,
  });
  clients.push(client);
  return client;
};

/** The CONNACK error code mqtt.js reports, or 'connected'. */
const connectOutcome = async (options: mqtt.IClientOptions): Promise<number | string> => {
  try {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    await client.endAsync();
    return 'connected';
  } catch (err) {
    return (err as { code?: number }).code ?? String(err);
  }
};

const closed = (client: MqttClient): Promise<void> =>
  new Promise((resolve) => {
    if (!client.connected) resolve();
    client.once('close', () => resolve());
  });

const rawSocket = (): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const s = netConnect(bridge.broker?.port as number, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    // Flowing, so the broker's answers are consumed and 'close' can fire when it hangs up.
    s.resume();
  });

const socketClosed = (s: Socket, timeoutMs = 10_000): Promise<boolean> =>
  new Promise((resolve) => {
    if (s.destroyed) return resolve(true);
    const t = setTimeout(() => resolve(false), timeoutMs);
    s.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
  });

beforeAll(async () => {
  h = await createHarness();
  bridge = await startBridge(h.config(), { logger: silentLogger });
  url = `mqtt://127.0.0.1:${bridge.broker?.port}`;
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
});

afterAll(async () => {
  await bridge?.close();
  await h?.close();
});

describe('publishing telemetry', () => {
  it.each([4, 5] as const)('MQTT version %i: lands in <prefix>.telemetry.raw and decodes to the same values', async (protocolVersion) => {
    const device = await register(`v${protocolVersion}`);
    const client = await connectDevice(device, { protocolVersion });
    const payload = telemetryOf(device.id, MODEL);
    const before = Date.now();
    await client.publishAsync(`zenthos/${MODEL}/${device.id}/telemetry`, JSON.stringify(payload), { qos: 1 });
    const record = await eventually(
      () => h.records('telemetry.raw').find((r) => r.key?.toString() === device.id),
      20_000,
      'telemetry record',
    );
    // The PUBACK came after Kafka acknowledged: the record exists by the time publishAsync resolved.
    expect(await h.messageIdOf(record)).toBe(payload.message_id);
    const { value } = await h.serde.decode<TelemetryRaw>(record.value as Buffer);
    expect(value).toEqual({ ...payload, ingest_ts: expect.any(Number) });
    expect(value.ingest_ts).toBeGreaterThanOrEqual(before);
  });

  it("continues an MQTT 5 device's trace: its traceparent user property leads to the Kafka record's", async () => {
    const device = await register('traced');
    const client = await connectDevice(device, { protocolVersion: 5 });
    const traceId = randomBytes(16).toString('hex');
    const payload = telemetryOf(device.id, MODEL);
    await client.publishAsync(`zenthos/${MODEL}/${device.id}/telemetry`, JSON.stringify(payload), {
      qos: 1,
      properties: { userProperties: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } },
    });
    const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 20_000, 'record');
    expect(record.headers['traceparent']?.toString()).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('exports no spans here, so a message without a device trace gets no made-up traceparent', async () => {
    // This bridge has no OTLP traces endpoint: a trace id it made up would name no exported span.
    const device = await register('untraced');
    const client = await connectDevice(device);
    const payload = telemetryOf(device.id, MODEL);
    await client.publishAsync(`zenthos/${MODEL}/${device.id}/telemetry`, JSON.stringify(payload), { qos: 1 });
    const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 20_000, 'record');
    expect(record.key?.toString()).toBe(device.id);
    // DESIGN.md: a data record carries only trace context headers, and here there is none.
    expect(record.headers).toEqual({});
  });

  it('mosquitto_pub (MQTT 3.1.1 and 5) reaches Kafka the same way', async () => {
    const device = await register('cli');
    for (const version of ['mqttv311', 'mqttv5']) {
      const payload = telemetryOf(device.id, MODEL, { temperature: version === 'mqttv5' ? 5 : 3.11 });
      // Asynchronously: the bridge runs in this process and must keep answering.
      await promisify(execFile)(
        'mosquitto_pub',
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(bridge.broker?.port),
          '-V',
          version,
          '-i',
          device.id,
          '-u',
          device.id,
          '-P',
          device.token,
          '-q',
          '1',
          '-t',
          `zenthos/${MODEL}/${device.id}/telemetry`,
          '-m',
          JSON.stringify(payload),
        ],
        { timeout: 20_000 },
      );
      const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 20_000, 'cli record');
      expect((await h.serde.decode<TelemetryRaw>(record.value as Buffer)).value).toMatchObject(payload);
    }
  });

  it('produces status, inference and logs to their own topics', async () => {
    const device = await register('kinds');
    const client = await connectDevice(device);
    const base = { device_id: device.id, device_model: MODEL, timestamp: Math.floor(Date.now() / 1000) };
    const ids = { status: crypto.randomUUID(), inference: crypto.randomUUID(), logs: crypto.randomUUID() };
    await client.publishAsync(
      `zenthos/${MODEL}/${device.id}/status`,
      JSON.stringify({ ...base, message_id: ids.status, state: 'online' }),
      { qos: 1 },
    );
    await client.publishAsync(
      `zenthos/${MODEL}/${device.id}/inference`,
      JSON.stringify({ ...base, message_id: ids.inference, model_version: 'm-1', scores: { a: 1 } }),
      { qos: 1 },
    );
    await client.publishAsync(
      `zenthos/${MODEL}/${device.id}/logs`,
      JSON.stringify({ ...base, message_id: ids.logs, level: 'info', message: 'boot' }),
      { qos: 1 },
    );
    for (const [kind, id] of Object.entries(ids)) {
      await eventually(() => h.findByMessageId(`${kind}.raw`, id), 20_000, kind);
    }
  });
});

describe('operations', () => {
  it('serves /health, /ready and the shared metrics on /metrics', async () => {
    const base = `http://127.0.0.1:${bridge.ops.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/ready`)).json()).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', 'schema-registry': 'ok', database: 'ok' },
    });
    const device = await register('ops');
    const client = await connectDevice(device);
    await client.publishAsync(`zenthos/${MODEL}/${device.id}/telemetry`, JSON.stringify(telemetryOf(device.id, MODEL)), { qos: 1 });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(new RegExp(`${prometheusNames.messagesIngested}\\{[^}]*kind="telemetry"`));
    expect(text).toContain(`${prometheusNames.ingestLatencyMs}_bucket`);
    expect(text).toContain(prometheusNames.connectedDevices);
  });
});

describe('ACL', () => {
  const refusedPublishes = [
    ['another device topic', (id: string) => `zenthos/${MODEL}/${id}-other/telemetry`, 'foreign_topic', 0x87],
    ['another model', (id: string) => `zenthos/esp32-cam/${id}/telemetry`, 'model_mismatch', 0x87],
    ['a wildcard publish', (id: string) => `zenthos/${MODEL}/${id}/+`, 'wildcard', 0x90],
    ['$SYS', () => '$SYS/broker/uptime', 'sys_topic', 0x87],
    ['the OTA topic', (id: string) => `zenthos/${MODEL}/${id}/ota`, 'bad_topic', 0x87],
  ] as const;

  const inKafka = async (messageId: string): Promise<boolean> =>
    (await h.findByMessageId('telemetry.raw', messageId)) !== undefined || (await h.findByMessageId('dlq', messageId)) !== undefined;

  it.each(refusedPublishes)(
    'MQTT 3.1.1: refuses publishing to %s: the connection closes (no negative PUBACK in 3.1.1), counted, nothing reaches Kafka',
    async (_name, topicOf, reason) => {
      const device = await register(`acl-${Math.random().toString(36).slice(2, 8)}`);
      const client = await connectDevice(device, { protocolVersion: 4 });
      const refusedBefore = bridge.metrics.count('messagesRefused', { reason });
      const payload = telemetryOf(device.id, MODEL);
      const gone = closed(client);
      const acked = jest.fn();
      client.publish(topicOf(device.id), JSON.stringify(payload), { qos: 1 }, acked);
      await gone;
      await sleep(500);
      expect(bridge.metrics.count('messagesRefused', { reason })).toBe(refusedBefore + 1);
      expect(await inKafka(payload.message_id)).toBe(false);
      // Closed without a PUBACK: the publish was never acknowledged.
      expect(acked.mock.calls.filter(([err]) => !err)).toEqual([]);
    },
  );

  it.each(refusedPublishes)(
    'MQTT 5: answers a publish to %s with a negative PUBACK; the connection stays, the refusal is counted, nothing reaches Kafka',
    async (_name, topicOf, reason, code) => {
      const device = await register(`acl5-${Math.random().toString(36).slice(2, 8)}`);
      const client = await connectDevice(device, { protocolVersion: 5 });
      const refusedBefore = bridge.metrics.count('messagesRefused', { reason });
      const refused = telemetryOf(device.id, MODEL);
      // MQTT 5 §3.4.2.1: 0x87 Not authorized (0x90 Topic Name invalid for a wildcard).
      await expect(client.publishAsync(topicOf(device.id), JSON.stringify(refused), { qos: 1 })).rejects.toMatchObject({ code });
      expect(client.connected).toBe(true);
      expect(bridge.metrics.count('messagesRefused', { reason })).toBe(refusedBefore + 1);
      // The same connection goes on: its next, allowed publish is acknowledged once Kafka has it.
      const allowed = telemetryOf(device.id, MODEL);
      await client.publishAsync(`zenthos/${MODEL}/${device.id}/telemetry`, JSON.stringify(allowed), { qos: 1 });
      await eventually(async () => (await inKafka(allowed.message_id)) || undefined, 20_000, 'the allowed record');
      expect(await inKafka(refused.message_id)).toBe(false);
    },
  );

  it('MQTT 5: a refusal waits for the PUBACKs of earlier publishes (PUBACKs in PUBLISH order, MQTT 5 §4.6)', async () => {
    const device = await register(`order-${Math.random().toString(36).slice(2, 8)}`);
    const client = await connectDevice(device, { protocolVersion: 5 });
    const order: number[] = [];
    client.on('packetreceive', (packet) => {
      if (packet.cmd === 'puback') order.push(packet.reasonCode ?? 0);
    });
    const own = `zenthos/${MODEL}/${device.id}/telemetry`;
    // The first needs Kafka's acknowledgement; the second is refused at once, yet answered second.
    const accepted = client.publishAsync(own, JSON.stringify(telemetryOf(device.id, MODEL)), { qos: 1 });
    const refused = client.publishAsync(`zenthos/${MODEL}/${device.id}-other/telemetry`, JSON.stringify(telemetryOf(device.id, MODEL)), {
      qos: 1,
    });
    await accepted;
    await expect(refused).rejects.toMatchObject({ code: 0x87 });
    expect(order).toEqual([0x00, 0x87]);
  });

  it('grants only the own OTA topic to subscribe', async () => {
    const device = await register('sub');
    const client = await connectDevice(device);
    const own = `zenthos/${MODEL}/${device.id}/ota`;
    expect((await client.subscribeAsync(own, { qos: 1 })).map((g) => g.qos)).toEqual([1]);
    for (const filter of ['zenthos/#', '$SYS/#', `zenthos/${MODEL}/other/ota`, `zenthos/${MODEL}/${device.id}/+`]) {
      // SUBACK 0x80 (MQTT 3.1.1 §3.9.3: failure), which mqtt.js reports as an error.
      await expect(client.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({ packet: { granted: [128] } });
    }
    // The platform's OTA notification reaches the device.
    const got = new Promise<string>((resolve) => client.on('message', (_t, p) => resolve(p.toString())));
    bridge.broker?.aedes.publish(
      { cmd: 'publish', topic: own, payload: Buffer.from('release v2'), qos: 1, retain: false, dup: false },
      () => undefined,
    );
    expect(await got).toBe('release v2');
  });

  it('refuses a Will outside the device space at CONNECT', async () => {
    const device = await register('will');
    const outcome = await connectOutcome({
      clientId: device.id,
      username: device.id,
      password: device.token,
      will: { topic: `zenthos/${MODEL}/victim/status`, payload: Buffer.from('{}'), qos: 1, retain: false },
    });
    expect(outcome).toBe(5);
    const ok = await connectOutcome({
      clientId: device.id,
      username: device.id,
      password: device.token,
      will: { topic: `zenthos/${MODEL}/${device.id}/status`, payload: Buffer.from('{}'), qos: 1, retain: false },
    });
    expect(ok).toBe('connected');
  });
});

describe('credentials', () => {
  it('refuses a wrong token, a client-id takeover, a username mismatch and no password', async () => {
    const a = await register('cred-a');
    const b = await register('cred-b');
    const tampered = `${a.token.slice(0, -4)}AAAA`;
    expect(await connectOutcome({ clientId: a.id, username: a.id, password: tampered })).toBe(4);
    expect(await connectOutcome({ clientId: b.id, username: a.id, password: a.token })).toBe(5);
    expect(await connectOutcome({ clientId: a.id, username: b.id, password: a.token })).toBe(4);
    expect(await connectOutcome({ clientId: a.id, username: a.id })).toBe(4);
    expect(await connectOutcome({ clientId: a.id, username: a.id, password: a.token })).toBe('connected');
    expect(bridge.metrics.count('messagesRefused', { reason: 'client_id_mismatch' })).toBeGreaterThan(0);
  });

  it('refuses an expired token', async () => {
    const device = await register('expired');
    const { createDeviceRegistryFromConfig, loadDevicesConfig } = await import('@zenthos/devices');
    const config = loadDevicesConfig({
      DATABASE_URL: h.db.url,
      DEVICE_TOKEN_PRIVATE_KEY: h.config().DEVICE_TOKEN_PRIVATE_KEY,
      DEVICE_TOKEN_TTL_S: '60',
    });
    // Issued two minutes ago with a one-minute lifetime.
    const past = createDeviceRegistryFromConfig(config, h.db.pool, () => Date.now() - 120_000);
    const { token } = await past.issueDeviceToken(device.id);
    expect(await connectOutcome({ clientId: device.id, username: device.id, password: token })).toBe(4);
  });

  it('refuses a revoked device, and disconnects it when revoked while connected', async () => {
    const device = await register('revoked');
    const client = await connectDevice(device);
    const gone = closed(client);
    await h.devices.revokeDevice(device.id);
    await gone;
    expect(await connectOutcome({ clientId: device.id, username: device.id, password: device.token })).toBe(5);
  });
});

describe('live sessions', () => {
  it('closes a session when its token expires', async () => {
    let aheadMs = 0;
    const clocked = await startBridge(h.config(), { logger: silentLogger, now: () => Date.now() + aheadMs });
    try {
      const device = await register('expiring');
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${clocked.broker?.port}`, {
        clientId: device.id,
        username: device.id,
        password: device.token,
        reconnectPeriod: 0,
      });
      const gone = closed(client);
      // The bridge's clock moves past the token's 90-day lifetime.
      aheadMs = 91 * 24 * 3600 * 1000;
      await gone;
      expect(clocked.metrics.count('messagesRefused', { reason: 'token_expired' })).toBe(1);
      await client.endAsync(true);
    } finally {
      await clocked.close();
    }
  });
});

describe('keep alive (MQTT 3.1.1 §3.1.2.10)', () => {
  // A device on a raw socket: CONNECT with this Keep Alive, then whatever the test sends.
  const rawDevice = async (keepalive: number): Promise<{ device: { id: string }; s: Socket; received: Buffer[] }> => {
    const device = await register(`ka-${Math.random().toString(36).slice(2, 8)}`);
    const s = await rawSocket();
    const received: Buffer[] = [];
    s.on('data', (d: Buffer) => received.push(d));
    s.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: device.id,
        keepalive,
        username: device.id,
        password: Buffer.from(device.token),
      }),
    );
    await eventually(() => (Buffer.concat(received)[0] === 0x20 ? true : undefined), 5_000, 'CONNACK');
    return { device, s, received };
  };

  it('closes a connection that sends nothing for one and a half times its Keep Alive', async () => {
    const { s } = await rawDevice(1);
    await sleep(500);
    expect(s.destroyed).toBe(false);
    expect(await socketClosed(s, 5_000)).toBe(true);
  });

  it('keeps a device that only publishes (no PINGREQ) past its Keep Alive, and acknowledges every publish', async () => {
    const { device, s, received } = await rawDevice(1);
    for (let i = 1; i <= 8; i++) {
      const payload = JSON.stringify(telemetryOf(device.id, MODEL));
      s.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: `zenthos/${MODEL}/${device.id}/telemetry`,
          payload,
          qos: 1,
          messageId: i,
          retain: false,
          dup: false,
        }),
      );
      await sleep(400);
    }
    // 3.2 s of publishes only, more than 1.5 × 1 s: the Keep Alive saw them.
    expect(s.destroyed).toBe(false);
    const pubackIds = (): number[] => {
      const ids: number[] = [];
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on('packet', (p) => {
        if (p.cmd === 'puback') ids.push(p.messageId as number);
      });
      parser.parse(Buffer.concat(received));
      return ids;
    };
    const acked = await eventually(() => (pubackIds().length === 8 ? pubackIds() : undefined), 10_000, 'eight PUBACKs');
    expect(acked).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    s.destroy();
  });
});

describe('bad payloads', () => {
  it.each<[string, (id: string) => Buffer, string]>([
    ['malformed JSON', () => Buffer.from('{"message_id":'), 'not_json'],
    [
      'missing fields',
      (id) => Buffer.from(JSON.stringify({ message_id: crypto.randomUUID(), device_id: id, device_model: MODEL })),
      'bad_timestamp',
    ],
    [
      'a sensor of the wrong type',
      (id) => Buffer.from(JSON.stringify({ ...telemetryOf(id, MODEL), sensors: { t: 'hot' } })),
      'bad_sensors',
    ],
    ['non-UTF-8 bytes', () => Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'not_utf8'],
    ['another device id in the payload', (id) => Buffer.from(JSON.stringify(telemetryOf(`${id}-x`, MODEL))), 'identity_mismatch'],
  ])('%s goes to the DLQ with its reason; the connection stays up', async (_name, payloadOf, reason) => {
    const device = await register(`bad-${reason}-${Math.random().toString(36).slice(2, 6)}`);
    const client = await connectDevice(device);
    const topic = `zenthos/${MODEL}/${device.id}/telemetry`;
    const payload = payloadOf(device.id);
    await client.publishAsync(topic, payload, { qos: 1 });
    const record = await eventually(() => h.records('dlq').find((r) => r.key?.toString() === device.id), 20_000, 'dlq record');
    expect(record.value).toEqual(payload);
    expect(record.headers[headerNames.reason]?.toString()).toBe(reason);
    expect(record.headers[headerNames.sourceTopic]?.toString()).toBe(topic);
    expect(record.headers[headerNames.errorCode]?.toString()).toBe('ZEN_PAYLOAD_INVALID');
    expect(client.connected).toBe(true);
    await client.publishAsync(topic, JSON.stringify(telemetryOf(device.id, MODEL)), { qos: 1 });
    expect(bridge.metrics.count('messagesInvalid', { reason })).toBeGreaterThan(0);
  });

  it('closes only the socket that sends a packet over the size limit', async () => {
    const device = await register('big');
    const bystanderDevice = await register('bystander');
    const bystander = await connectDevice(bystanderDevice);
    const client = await connectDevice(device);
    const gone = closed(client);
    client.publish(`zenthos/${MODEL}/${device.id}/telemetry`, Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    await gone;
    await bystander.publishAsync(
      `zenthos/${MODEL}/${bystanderDevice.id}/telemetry`,
      JSON.stringify(telemetryOf(bystanderDevice.id, MODEL)),
      { qos: 1 },
    );
    expect(bridge.metrics.count('messagesRefused', { reason: 'packet_too_large' })).toBeGreaterThan(0);
  });
});

describe('malformed MQTT packets close only that socket', () => {
  let bystander: MqttClient;
  let bystanderId: string;

  beforeEach(async () => {
    const device = await register(`mal-${Math.random().toString(36).slice(2, 8)}`);
    bystanderId = device.id;
    bystander = await connectDevice(device);
  });

  afterEach(async () => {
    // The broker still serves the other connection.
    await bystander.publishAsync(`zenthos/${MODEL}/${bystanderId}/telemetry`, JSON.stringify(telemetryOf(bystanderId, MODEL)), { qos: 1 });
    expect(bystander.connected).toBe(true);
  });

  it('a truncated CONNECT', async () => {
    const s = await rawSocket();
    // Remaining length 6 holds only part of the protocol name and no level, flags or keep-alive.
    s.write(Buffer.from([0x10, 0x06, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]));
    expect(await socketClosed(s)).toBe(true);
  });

  it('a zero-length topic', async () => {
    const device = await register(`zero-${Math.random().toString(36).slice(2, 8)}`);
    const s = await rawSocket();
    s.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: device.id,
        keepalive: 30,
        username: device.id,
        password: Buffer.from(device.token),
      }),
    );
    await sleep(300);
    // PUBLISH QoS 0 with topic length 0 and a payload.
    s.write(Buffer.from([0x30, 0x04, 0x00, 0x00, 0x7b, 0x7d]));
    expect(await socketClosed(s)).toBe(true);
  });

  it('a remaining length beyond the limit, before the body is sent', async () => {
    const s = await rawSocket();
    // Remaining length 268435455 (the MQTT maximum); only the fixed header is sent.
    s.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    expect(await socketClosed(s)).toBe(true);
  });
});
