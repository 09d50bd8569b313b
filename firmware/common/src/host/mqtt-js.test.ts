import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { createMemorySlotStore } from '../adapters/memory-slot-store';
import { createDevice } from '../domain/device';
import { createSoftwareCrypto } from '../domain/software-crypto';
import { uuidV4Pattern } from '../domain/uuid';
import { createFetchHttpPort } from './fetch-http';
import { createMqttJsPort } from './mqtt-js';
import { createNodeClock, createNodeRandom } from './node-ports';

describe('mqtt.js port against an in-process broker', () => {
  let broker: Aedes;
  let server: Server;
  let url: string;
  const received: { topic: string; qos: number; payload: string }[] = [];

  beforeAll(async () => {
    broker = await Aedes.createBroker();
    broker.on('publish', (packet, client) => {
      if (client) received.push({ topic: packet.topic, qos: packet.qos, payload: packet.payload.toString() });
    });
    server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    await new Promise((resolve) => server.close(resolve));
  });

  it('runs the device on it: QoS 1 telemetry acknowledged, OTA notifications received', async () => {
    received.length = 0;
    const device = createDevice(
      {
        mqtt: createMqttJsPort({ url, clientId: 'sim-001', username: 'sim-001' }),
        http: createFetchHttpPort(),
        clock: createNodeClock(),
        sensors: { read: () => ({ temperature: 21.5, humidity: 40 }) },
        random: createNodeRandom(),
        crypto: createSoftwareCrypto(),
        firmwareSlots: createMemorySlotStore({ capacityBytes: 1024, initialVersion: 'v1.0.0' }),
      },
      {
        deviceId: 'sim-001',
        deviceModel: 'esp32-s3',
        firmwareVersion: 'v1.0.0',
        otaBaseUrl: 'http://127.0.0.1:9', // nothing listens: a notification-triggered check fails and is counted
        trustedKeys: {},
        telemetryIntervalMs: 0,
        otaCheckIntervalMs: 0,
      },
    );
    const connected = new Promise<void>((resolve) => device.onEvent((e) => e.type === 'connected' && resolve()));
    await device.start();
    await connected;
    for (let i = 0; i < 5; i++) await device.sampleNow();
    expect(await device.drain(10_000)).toBe(true);
    expect(device.counters).toMatchObject({ acknowledged: 6, buffered: 0, inFlight: 0 });

    const telemetry = received.filter((r) => r.topic === 'zenthos/esp32-s3/sim-001/telemetry');
    expect(telemetry).toHaveLength(5);
    expect(telemetry.every((t) => t.qos === 1)).toBe(true);
    const first = JSON.parse(telemetry[0]!.payload) as Record<string, unknown>;
    expect(first).toMatchObject({ device_id: 'sim-001', device_model: 'esp32-s3', sensors: { temperature: 21.5, humidity: 40 } });
    expect(first.message_id).toMatch(uuidV4Pattern);

    const errorSeen = new Promise<string>((resolve) => device.onEvent((e) => e.type === 'error' && resolve(e.error.code)));
    await new Promise<void>((resolve, reject) =>
      broker.publish(
        {
          cmd: 'publish',
          topic: 'zenthos/esp32-s3/sim-001/ota',
          payload: Buffer.from('{"kind":"firmware"}'),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    expect(await errorSeen).toBe('ZEN_FW_HTTP_FAILED');
    expect(device.counters.otaChecks).toBe(1);
    await device.stop();
  });
});
