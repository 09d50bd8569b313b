// The simulator against the real Postgres (device registry in a fresh database) and an
// in-process MQTT broker that accepts only a device's own token as its password, so the test
// sees exactly what simulated devices send. The whole platform is exercised by tools/demo's
// end-to-end test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Aedes } from 'aedes';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig, type DeviceRegistry } from '@zenthos/devices';
import { uuidV4Pattern } from '@zenthos/firmware-common';
import { loadSimConfig, parseSimOptions, startSimulation, type SimSummary } from '../src';

const base = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, process.env);

jest.setTimeout(120_000);

describe('zenthos sim against Postgres and an authenticating broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-sim-'));
  let db: TemporaryDatabase;
  let registry: DeviceRegistry;
  let broker: Aedes;
  let server: Server;
  let url: string;
  const refused: string[] = [];
  const published: { clientId: string; topic: string; qos: number; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    db = await createTemporaryDatabase(base.DATABASE_URL);
    registry = createDeviceRegistryFromConfig(loadDevicesConfig({ DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: join(dir, 'keys') }), db.pool);
    broker = await Aedes.createBroker({
      // DESIGN.md: MQTT username = device id, password = device token.
      authenticate: (client, username, password, callback) => {
        registry
          .verifyDeviceToken(password?.toString('utf8') ?? '')
          .then((identity) => {
            const ok = identity.deviceId === username && client.id === username;
            if (!ok) refused.push(username ?? '');
            callback(null, ok);
          })
          .catch(() => {
            refused.push(username ?? '');
            callback(null, false);
          });
      },
    });
    broker.on('publish', (packet, client) => {
      if (client)
        published.push({ clientId: client.id, topic: packet.topic, qos: packet.qos, body: JSON.parse(packet.payload.toString()) });
    });
    server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => broker.close(() => r()));
    await new Promise((r) => server.close(r));
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const simulate = async (prefix: string): Promise<{ summary: SimSummary; progress: string[] }> => {
    const env = { DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: join(dir, 'keys'), SIM_MQTT_URL: url, SIM_STATE_DIR: join(dir, 'state') };
    const progress: string[] = [];
    const sim = await startSimulation(
      loadSimConfig(env),
      parseSimOptions({ devices: '5', rate: '5', duration: '3s', prefix, register: 'db', rampUp: '0' }, { register: 'db' }),
      { env, progress: (line) => progress.push(line) },
    );
    // Bounded: the run ends by itself after its duration.
    return { summary: await sim.done, progress };
  };

  it('registers the devices, connects them with their tokens and publishes QoS 1 telemetry until the duration ends', async () => {
    const { summary, progress } = await simulate('t1');
    const ids = ['t1-esp32-s3-0001', 't1-esp32-s3-0002', 't1-esp32-s3-0003', 't1-esp32-s3-0004', 't1-esp32-s3-0005'];
    expect((await registry.listDevices({ tag: 'simulated' })).map((d) => d.id)).toEqual(ids);
    expect(refused).toEqual([]);

    expect(summary.devices).toBe(5);
    expect(summary.errors).toBe(0);
    expect(summary.drained).toBe(true);
    expect(summary.acknowledged).toBe(summary.sent);
    expect(summary.firmwareVersions).toEqual({ 'v0.1.0': 5 });

    const telemetry = published.filter((p) => p.topic.endsWith('/telemetry'));
    // 5 devices × 5 messages/s × 3 s, give or take the first and last tick.
    expect(telemetry.length).toBeGreaterThanOrEqual(5 * 10);
    for (const p of telemetry) {
      const id = p.clientId;
      expect(p.topic).toBe(`zenthos/esp32-s3/${id}/telemetry`);
      expect(p.qos).toBe(1);
      expect(p.body).toMatchObject({ device_id: id, device_model: 'esp32-s3', firmware_version: 'v0.1.0', model_version: null });
      expect(p.body.message_id).toMatch(uuidV4Pattern);
      expect(Object.keys(p.body.sensors as object).sort()).toEqual(['humidity', 'temperature']);
    }
    expect(new Set(telemetry.map((p) => p.body.message_id)).size).toBe(telemetry.length);
    // Each device announced itself once (status online), and everything was acknowledged.
    expect(published.filter((p) => p.topic.endsWith('/status')).map((p) => p.body.state)).toEqual(ids.map(() => 'online'));
    expect(summary.acknowledged).toBe(published.length);

    expect(progress.some((l) => /devices 5\/5 .*acked \d+/.test(l))).toBe(true);
  });

  it('rotates the tokens of devices that are registered already', async () => {
    published.length = 0;
    const { summary } = await simulate('t1');
    expect(refused).toEqual([]);
    expect(summary.acknowledged).toBeGreaterThan(0);
    const { rows } = await db.pool.query<{ n: string }>(
      "SELECT count(*) AS n FROM device_credentials WHERE device_id LIKE 't1-%' AND revoked_at IS NULL",
    );
    expect(Number(rows[0]?.n)).toBe(10);
  });

  it('zenthos sim refuses bad flags with one coded error and exit code 1', () => {
    const root = resolve(__dirname, '../../..');
    const r = spawnSync(
      process.execPath,
      [join(root, 'cli/bin/zenthos.js'), 'sim', '--devices', '0', '--rate', 'x', '--register', 'none'],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ZEN_BAD_REQUEST');
    expect(r.stderr).toContain('--devices "0"');
    expect(r.stderr).toContain('--rate "x"');
  });
});
