import mqtt from 'mqtt';
import { startBridge, type Bridge } from '../src/main';
import { createHarness, eventually, silentLogger, type Harness } from './harness';

jest.setTimeout(60_000);

// Two bridges side by side sharing sessions and messages through the stack's Redis, in a
// database of its own so that no other user's keys are touched.
const redisUrl = `${(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379').replace(/\/\d*$/, '')}/13`;
const MODEL = 'esp32-s3';
let h: Harness;
let a: Bridge;
let b: Bridge;

beforeAll(async () => {
  h = await createHarness();
  a = await startBridge(h.config({ BRIDGE_REDIS_URL: redisUrl }), { logger: silentLogger });
  b = await startBridge(h.config({ BRIDGE_REDIS_URL: redisUrl }), { logger: silentLogger });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await h?.close();
});

it('delivers a platform → device message published on one bridge to a device connected to the other, and keeps its session', async () => {
  const id = `${h.prefix}-roaming`;
  const { token } = await h.devices.registerDevice({ id, model: MODEL });
  const ota = `zenthos/${MODEL}/${id}/ota`;
  const options = { clientId: id, username: id, password: token, clean: false, reconnectPeriod: 0 };

  // Subscribe through bridge A, then move to bridge B: the persistent session comes along.
  const first = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.broker?.port}`, options);
  await first.subscribeAsync(ota, { qos: 1 });
  await first.endAsync();
  const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.broker?.port}`, options);
  try {
    const got = new Promise<string>((resolve) => device.on('message', (_t, p) => resolve(p.toString())));
    // Published on A, where the device is not connected.
    await eventually(
      () =>
        new Promise<true | undefined>((resolve) =>
          a.broker?.aedes.publish(
            { cmd: 'publish', topic: ota, payload: Buffer.from('{"version":"v0.2.0"}'), qos: 1, retain: false, dup: false },
            (err) => resolve(err ? undefined : true),
          ),
        ),
      10_000,
      'publish on bridge A',
    );
    expect(await got).toBe('{"version":"v0.2.0"}');
  } finally {
    await device.endAsync();
  }
});
