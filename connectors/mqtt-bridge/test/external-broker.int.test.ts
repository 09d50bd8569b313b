import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import type { TelemetryRaw } from '@zenthos/schemas';
import { startBridge, type Bridge } from '../src/main';
import { headerNames } from '../src/domain/ingest';
import { createHarness, eventually, silentLogger, telemetryOf, type Harness } from './harness';

jest.setTimeout(60_000);

// The shared Mosquitto of the local stack (anonymous). A random topic root, share group and
// client id keep this test apart from any other user of that broker.
const mosquittoUrl = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
const MODEL = 'esp32-cam';
let h: Harness;
let bridge: Bridge;
let root: string;

beforeAll(async () => {
  h = await createHarness();
  root = h.prefix;
  bridge = await startBridge(
    h.config({
      MQTT_URL: mosquittoUrl,
      BRIDGE_MQTT_ROOT: root,
      BRIDGE_SHARE_GROUP: h.prefix,
      BRIDGE_CLIENT_ID: `${h.prefix}-bridge`,
      BRIDGE_EXTERNAL_CONNECTIONS: '2',
    }),
    { logger: silentLogger },
  );
});

afterAll(async () => {
  await bridge?.close();
  // Persistent sessions of the bridge's client ids are ended on the broker.
  for (const i of [0, 1]) {
    const c = await mqtt.connectAsync(mosquittoUrl, {
      clientId: `${h.prefix}-bridge-${i}`,
      protocolVersion: 5,
      clean: true,
      properties: { sessionExpiryInterval: 0 },
    });
    await c.endAsync();
  }
  await h?.close();
});

it('takes telemetry from Mosquitto through $share to Kafka, the device named by the topic', async () => {
  const device = `${h.prefix}-cam-1`;
  const publisher = await mqtt.connectAsync(mosquittoUrl, { clientId: `${h.prefix}-pub` });
  try {
    const payloads = [telemetryOf(device, MODEL, { lux: 120 }), telemetryOf(device, MODEL, { lux: 121 })];
    for (const p of payloads) await publisher.publishAsync(`${root}/${MODEL}/${device}/telemetry`, JSON.stringify(p), { qos: 1 });
    for (const p of payloads) {
      const record = await eventually(() => h.findByMessageId('telemetry.raw', p.message_id), 20_000, 'record');
      expect(record.key?.toString()).toBe(device);
      expect((await h.serde.decode<TelemetryRaw>(record.value as Buffer)).value).toMatchObject(p);
    }
    // A payload claiming another device than its topic goes to the DLQ.
    const forged = telemetryOf(`${device}-other`, MODEL);
    await publisher.publishAsync(`${root}/${MODEL}/${device}/telemetry`, JSON.stringify(forged), { qos: 1 });
    const dead = await eventually(() => h.findByMessageId('dlq', forged.message_id), 20_000, 'dlq record');
    expect(dead.headers[headerNames.reason]?.toString()).toBe('identity_mismatch');
  } finally {
    await publisher.endAsync();
  }
});

it.each(['1', '0'])('takes a message sent with mosquitto_pub (MQTT 5, QoS %s)', async (qos) => {
  const device = `${h.prefix}-cam-2`;
  const payload = telemetryOf(device, MODEL, { lux: 7 });
  const url = new URL(mosquittoUrl);
  await promisify(execFile)(
    'mosquitto_pub',
    [
      '-h',
      url.hostname,
      '-p',
      url.port,
      '-V',
      'mqttv5',
      '-q',
      qos,
      '-t',
      `${root}/${MODEL}/${device}/telemetry`,
      '-m',
      JSON.stringify(payload),
    ],
    { timeout: 20_000 },
  );
  const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 20_000, 'record');
  expect((await h.serde.decode<TelemetryRaw>(record.value as Buffer)).value.sensors).toEqual({ lux: 7 });
});
