// End to end with the real stack: every service as a child process (on free ports, with a random
// topic prefix, RabbitMQ prefix, Redis prefix and a fresh database), 20 simulated devices running
// the firmware/common logic, and a signed release rolled out to them in two stages.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import {
  createOtaApiClient,
  deviceIdsFor,
  loadSimConfig,
  mapLimited,
  startSimulation,
  type OtaApiClient,
  type RolloutView,
  type SimSummary,
} from '@zenthos/simulator';
import {
  deleteRabbitObjects,
  deleteRedisKeys,
  deleteTopics,
  drainQueue,
  freePlatformPorts,
  runZenthos,
  startPlatform,
  type Platform,
  type PlatformNames,
  type PlatformPorts,
  type ServiceName,
} from '../src';

const base = loadConfig(
  {
    DATABASE_URL: commonEnv.DATABASE_URL,
    KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
    AMQP_URL: commonEnv.AMQP_URL,
    REDIS_URL: commonEnv.REDIS_URL,
  },
  process.env,
);
const DEVICES = 20;
const MODEL = 'esp32-s3';

jest.setTimeout(420_000);

const until = async <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
};

describe('20 simulated devices through the whole platform', () => {
  const run = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-e2e-'));
  let db: TemporaryDatabase;
  let platform: Platform | undefined;
  let names: PlatformNames;
  let ota: OtaApiClient;
  let summary: SimSummary;
  let ids: string[];
  let rolloutId: string;
  let stage0Installed = 0;
  let completed: RolloutView | undefined;
  let versions: string[] = [];

  beforeAll(async () => {
    db = await createTemporaryDatabase(base.DATABASE_URL);
    names = {
      topicPrefix: `e2e${run}`,
      rabbitPrefix: `e2e-${run}.`,
      redisPrefix: `zenthos-test:e2e${run}:`,
      registryTopic: `_schemas_e2e${run}`,
      databaseUrl: db.url,
      storageDir: join(dir, 'artifacts'),
      keysDir: join(dir, 'keys'),
      logLevel: 'info',
      // The alerts worker would consume sensor_data, which this test reads.
      without: ['alerts'],
    };
    const ports: PlatformPorts = await freePlatformPorts();
    platform = await startPlatform(ports, names, { logDir: join(dir, 'logs'), env: process.env, readyTimeoutMs: 180_000 });

    const env = { ...process.env, DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: names.keysDir, LOG_LEVEL: 'warn' };
    const token = (
      JSON.parse(await runZenthos(['tokens', 'create', '--scope', 'read,publish,rollback', '--name', 'e2e'], { env })) as { token: string }
    ).token;
    ota = createOtaApiClient(`http://127.0.0.1:${ports.ota}`, token);
    ids = deviceIdsFor(`e2e-${run}`, MODEL, DEVICES);
    const credentials = await mapLimited(ids, 5, (id) => ota.registerDevice({ id, model: MODEL }));

    // Published and rolled out before any device checks: stage 0 offers it to about half.
    await ota.publishRelease({ kind: 'firmware', model: MODEL, version: 'v0.2.0', image: randomBytes(64 * 1024) });
    rolloutId = (await ota.createRollout({ model: MODEL, version: 'v0.2.0', stages: [50, 100] })).id;

    const sim = await startSimulation(
      loadSimConfig({ SIM_MQTT_URL: `mqtt://127.0.0.1:${ports.mqtt}`, SIM_OTA_URL: ota.baseUrl, SIM_STATE_DIR: join(dir, 'sim') }),
      {
        devices: DEVICES,
        ratePerDevice: 2,
        durationMs: 300_000,
        ota: true,
        model: MODEL,
        idPrefix: `e2e-${run}`,
        firmwareVersion: 'v0.1.0',
        otaCheckIntervalMs: 2_000,
        register: 'none',
        rampUpMs: 1_000,
      },
      { credentials },
    );
    try {
      const installed = async (): Promise<number> =>
        Object.values((await ota.getRollout(rolloutId)).reports).reduce((n, s) => n + (s.installed ?? 0), 0);
      // Stage 0: some devices install; wait until that number holds still for a few checks.
      let previous = -1;
      let steady = 0;
      await until('stage 0 installs', 120_000, async () => {
        const n = await installed();
        steady = n > 0 && n === previous ? steady + 1 : 0;
        previous = n;
        return steady >= 4 ? n : undefined;
      });
      stage0Installed = previous;
      await ota.actOnRollout(rolloutId, 'advance');
      await until('every device installed', 180_000, async () => ((await installed()) >= DEVICES ? true : undefined));
      completed = await ota.actOnRollout(rolloutId, 'advance');
      // A little more telemetry from the new firmware.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      summary = await sim.stop();
      versions = sim.devices.map((d) => d.firmwareVersion);
    }
    // The sink writes what the bridge acknowledged; wait until the row count holds still.
    let last = -1;
    await until('telemetry rows', 60_000, async () => {
      const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_raw');
      const n = Number(rows[0]?.n);
      const done = n > 0 && n === last;
      last = n;
      return done ? n : undefined;
    });
  });

  afterAll(async () => {
    await platform?.stop();
    await deleteTopics(base.KAFKA_BROKERS, names.topicPrefix, [names.registryTopic]).catch(() => undefined);
    await deleteRabbitObjects(base.AMQP_URL, names.rabbitPrefix).catch(() => undefined);
    await deleteRedisKeys(base.REDIS_URL, [`${names.redisPrefix}*`, `${names.topicPrefix}:*`]).catch(() => undefined);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the bridge at nice 5 and the stages after it at normal priority', () => {
    const niceOf = (name: ServiceName): number => {
      const pid = platform?.services.get(name)?.pid ?? -1;
      const group = `/proc/${pid}/autogroup`;
      // With autogroups the session's value is the one that counts ("/autogroup-123 nice 5").
      if (existsSync(group)) return Number(/nice (-?\d+)/.exec(readFileSync(group, 'utf8'))?.[1]);
      return getPriority(pid);
    };
    expect(niceOf('bridge')).toBe(5);
    expect(niceOf('processor-telemetry')).toBe(0);
    expect(niceOf('sink')).toBe(0);
  });

  it('writes the telemetry of every device to telemetry_raw, each message once', async () => {
    const { rows } = await db.pool.query<{ device_id: string; n: string; distinct_ids: string; fw: string[] }>(
      `SELECT device_id, count(*) AS n, count(DISTINCT message_id) AS distinct_ids, array_agg(DISTINCT payload->>'firmware_version') AS fw
         FROM telemetry_raw GROUP BY device_id ORDER BY device_id`,
    );
    expect(rows.map((r) => r.device_id)).toEqual(ids);
    for (const r of rows) {
      expect(Number(r.n)).toBe(Number(r.distinct_ids));
      expect(Number(r.n)).toBeGreaterThan(2);
    }
    // Telemetry from before and after the update reached the table.
    expect(new Set(rows.flatMap((r) => r.fw))).toEqual(new Set(['v0.1.0', 'v0.2.0']));
    expect(summary.acknowledged).toBeGreaterThan(0);
    expect(summary.dropped).toBe(0);
  });

  it('republishes the telemetry of every device as envelopes to RabbitMQ sensor_data', async () => {
    const envelopes = await drainQueue(base.AMQP_URL, `${names.rabbitPrefix}sensor_data`);
    const fromOurDevices = envelopes.filter((e) => ids.includes(e.device_id));
    expect(new Set(fromOurDevices.map((e) => e.device_id))).toEqual(new Set(ids));
    for (const e of fromOurDevices.slice(0, 50)) {
      expect(e).toMatchObject({ type: 'telemetry', id: expect.any(String), timestamp: expect.any(Number) });
    }
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM telemetry_raw');
    expect(new Set(fromOurDevices.map((e) => e.id)).size).toBe(Number(rows[0]?.n));
  });

  it('rolls the release out in stages: every device installed it, reported it, and the rollout completed', async () => {
    expect(stage0Installed).toBeGreaterThan(0);
    expect(stage0Installed).toBeLessThan(DEVICES);
    expect(completed?.status).toBe('completed');
    const rollout = await ota.getRollout(rolloutId);
    const total = (state: 'installed' | 'failed' | 'rolled_back'): number =>
      Object.values(rollout.reports).reduce((n, s) => n + (s[state] ?? 0), 0);
    expect(total('installed')).toBe(DEVICES);
    expect(total('failed') + total('rolled_back')).toBe(0);
    expect(versions).toEqual(ids.map(() => 'v0.2.0'));
    expect(summary.ota.installed).toBe(DEVICES);
    const { rows: devices } = await db.pool.query<{ id: string; firmware_version: string }>(
      'SELECT id, firmware_version FROM devices ORDER BY id',
    );
    expect(devices).toEqual(ids.map((id) => ({ id, firmware_version: 'v0.2.0' })));
    // The firmware's own report went through MQTT → Kafka → processor → sink as well.
    const { rows: reported } = await db.pool.query<{ device_id: string }>(
      `SELECT DISTINCT device_id FROM device_status WHERE ota->>'state' = 'installed' AND ota->>'release_version' = 'v0.2.0' ORDER BY device_id`,
    );
    expect(reported.map((r) => r.device_id)).toEqual(ids);
  });
});
