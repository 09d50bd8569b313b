import {
  buildRelease,
  createCountingRandom,
  createFakeMqtt,
  createFakeOtaServer,
  createManualClock,
  createTestKey,
  flush,
  imageOf,
  type FakeMqtt,
  type ManualClock,
} from '../../test/fakes';
import { createMemorySlotStore, type MemorySlotStore } from '../adapters/memory-slot-store';
import { createDevice, type Device, type DeviceSettings } from './device';
import type { DevicePorts, InferencePort } from './ports';
import { createSoftwareCrypto } from './software-crypto';
import { uuidV4Pattern } from './uuid';

const key = createTestKey('k1');

interface Rig {
  device: Device;
  mqtt: FakeMqtt;
  clock: ManualClock;
  server: ReturnType<typeof createFakeOtaServer>;
  slots: MemorySlotStore;
  reboots: string[];
}

const baseSettings: DeviceSettings = {
  deviceId: 'esp32-s3-001',
  deviceModel: 'esp32-s3',
  firmwareVersion: 'v1.0.0',
  otaBaseUrl: 'http://ota.test:8080',
  trustedKeys: { k1: key.publicKeyBase64 },
  telemetryIntervalMs: 0,
  otaCheckIntervalMs: 0,
};

const rig = (
  settings: Partial<DeviceSettings> = {},
  extra: Partial<DevicePorts> & { slots?: MemorySlotStore; reboots?: string[] } = {},
): Rig => {
  const mqtt = createFakeMqtt();
  const clock = createManualClock();
  const server = createFakeOtaServer();
  const reboots = extra.reboots ?? [];
  const slots =
    extra.slots ?? createMemorySlotStore({ capacityBytes: 64 * 1024, initialVersion: 'v1.0.0', onReboot: (why) => reboots.push(why) });
  let n = 0;
  const device = createDevice(
    {
      mqtt,
      http: server,
      clock,
      sensors: { read: () => ({ temperature: 20 + n++, humidity: 50 }) },
      random: createCountingRandom(),
      crypto: createSoftwareCrypto(),
      firmwareSlots: slots,
      ...extra,
    },
    { ...baseSettings, ...settings },
  );
  return { device, mqtt, clock, server, slots, reboots };
};

const temperatures = (mqtt: FakeMqtt, from = 0): number[] =>
  mqtt.published
    .slice(from)
    .filter((p) => p.topic.endsWith('/telemetry'))
    .map((p) => (JSON.parse(Buffer.from(p.payload).toString('utf8')) as { sensors: { temperature: number } }).sensors.temperature);

describe('device telemetry', () => {
  it('publishes spec §5 telemetry at QoS 1 on its own topic, on schedule', async () => {
    const r = rig({ telemetryIntervalMs: 10_000 });
    const started = r.device.start();
    r.mqtt.connect();
    await started;
    await r.clock.advance(25_000);
    const telemetry = r.mqtt.json('/telemetry');
    expect(telemetry).toHaveLength(3);
    expect(r.mqtt.published.find((p) => p.topic.endsWith('/telemetry'))!.topic).toBe('zenthos/esp32-s3/esp32-s3-001/telemetry');
    for (const t of telemetry) {
      expect(t).toEqual({
        message_id: expect.stringMatching(uuidV4Pattern),
        device_id: 'esp32-s3-001',
        device_model: 'esp32-s3',
        timestamp: expect.any(Number),
        sensors: { temperature: expect.any(Number), humidity: 50 },
        firmware_version: 'v1.0.0',
        model_version: null,
      });
    }
    expect(telemetry.map((t) => t.timestamp)).toEqual([1_796_040_000, 1_796_040_010, 1_796_040_020]);
    expect(new Set(telemetry.map((t) => t.message_id)).size).toBe(3);
    expect(r.device.counters).toMatchObject({ acknowledged: 4, buffered: 0, inFlight: 0, errors: 0 });
    await r.device.stop();
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it('does not sample before SNTP answered, and retries the sync', async () => {
    const r = rig({ timeSyncRetryMs: 1_000 });
    r.clock.isSynced = false;
    let attempts = 0;
    r.clock.sync = async () => {
      attempts++;
      if (attempts < 3) throw new Error('no answer');
      r.clock.isSynced = true;
    };
    const started = r.device.start();
    await r.device.sampleNow();
    expect(r.mqtt.published).toHaveLength(0);
    await r.clock.advance(5_000);
    await started;
    expect(attempts).toBe(3);
    expect(r.device.counters.errors).toBe(2);
    r.mqtt.connect();
    await r.device.sampleNow();
    await flush();
    expect(r.mqtt.json('/telemetry')).toHaveLength(1);
    await r.device.stop();
  });

  it.each([
    // capacity, samples while offline, temperatures resent after reconnect, dropped
    [10, 4, [20, 21, 22, 23], 0],
    [3, 5, [22, 23, 24], 3],
    [1, 3, [22], 3],
  ])('with room for %i messages and %i offline samples resends %j in order (dropped %i)', async (capacity, samples, resent, dropped) => {
    const r = rig({ maxBufferedMessages: capacity });
    await r.device.start(); // offline: the "online" status waits in the buffer too
    for (let i = 0; i < samples; i++) await r.device.sampleNow();
    expect(r.mqtt.published).toHaveLength(0);
    expect(r.device.counters).toMatchObject({ buffered: Math.min(capacity, samples + 1), dropped });
    r.mqtt.connect();
    await flush();
    expect(temperatures(r.mqtt)).toEqual(resent);
    expect(r.device.counters).toMatchObject({ buffered: 0, acknowledged: Math.min(capacity, samples + 1) });
    await r.device.stop();
  });

  it('puts messages lost with the connection back in order and resends them after reconnect', async () => {
    const r = rig({ maxInFlight: 2 });
    await r.device.start();
    r.mqtt.autoAck = false;
    r.mqtt.connect();
    for (let i = 0; i < 4; i++) await r.device.sampleNow();
    expect(r.device.counters).toMatchObject({ inFlight: 2, buffered: 3 });
    r.mqtt.drop();
    await flush();
    expect(r.device.counters).toMatchObject({ inFlight: 0, buffered: 5, errors: 2 });
    const before = r.mqtt.published.length;
    r.mqtt.autoAck = true;
    r.mqtt.connect();
    await flush();
    expect(temperatures(r.mqtt, before)).toEqual([20, 21, 22, 23]);
    expect(r.device.counters).toMatchObject({ acknowledged: 5, buffered: 0, inFlight: 0 });
    expect(await r.device.drain(1_000)).toBe(true);
    await r.device.stop();
  });
});

describe('device OTA', () => {
  const statusOf = (mqtt: FakeMqtt): Record<string, unknown>[] => mqtt.json('/status');

  it('checks on an MQTT notification on its ota topic and subscribes to it on connect', async () => {
    const r = rig();
    await r.device.start();
    r.mqtt.connect();
    await flush();
    expect(r.mqtt.subscriptions).toEqual(['zenthos/esp32-s3/esp32-s3-001/ota']);
    r.mqtt.deliver('zenthos/esp32-s3/esp32-s3-001/ota', { kind: 'firmware', version: 'v9.0.0' });
    await flush();
    expect(r.server.requests.map((q) => q.url)).toEqual(['http://ota.test:8080/firmware/esp32-s3/latest?device_id=esp32-s3-001']);
    await r.device.stop();
  });

  it('checks once more when latest does not show the announced version yet (the notice overtook the platform)', async () => {
    const r = rig({ otaRecheckDelayMs: 5_000 });
    await r.device.start();
    r.mqtt.connect();
    await flush();
    const latest = 'http://ota.test:8080/firmware/esp32-s3/latest?device_id=esp32-s3-001';
    r.mqtt.deliver('zenthos/esp32-s3/esp32-s3-001/ota', { kind: 'firmware', version: 'v1.0.0' });
    await flush();
    // Nothing published yet as far as the API answers (404): one more check after the delay, one only.
    expect(r.server.requests.map((q) => q.url)).toEqual([latest]);
    await r.clock.advance(4_999);
    expect(r.server.requests).toHaveLength(1);
    await r.clock.advance(1);
    expect(r.server.requests.map((q) => q.url)).toEqual([latest, latest]);
    await r.clock.advance(60_000);
    expect(r.server.requests).toHaveLength(2);

    // The answer shows the announced version (the running one here): no second check.
    r.server.release = buildRelease({ key, version: 'v1.0.0' });
    r.mqtt.deliver('zenthos/esp32-s3/esp32-s3-001/ota', { kind: 'firmware', version: 'v1.0.0' });
    await flush();
    await r.clock.advance(60_000);
    expect(r.server.requests).toHaveLength(3);
    // A notification without a version (or not JSON) is checked once, as before.
    r.server.release = undefined;
    r.mqtt.deliver('zenthos/esp32-s3/esp32-s3-001/ota', { kind: 'firmware' });
    await flush();
    await r.clock.advance(60_000);
    expect(r.server.requests).toHaveLength(4);
    await r.device.stop();
    expect(r.clock.pendingTimers()).toBe(0);
  });

  it('installs a release end to end: downloading, reboot, self-test over MQTT, installed', async () => {
    const reboots: string[] = [];
    const first = rig({ otaCheckIntervalMs: 3_600_000 }, { reboots });
    first.server.release = buildRelease({ key, version: 'v1.1.0', image: imageOf(8_000) });
    const started = first.device.start();
    first.mqtt.connect();
    await started;
    await first.clock.advance(0);
    expect(reboots).toEqual(['activate']);
    expect(statusOf(first.mqtt).map((s) => s.ota)).toEqual([
      null,
      { state: 'downloading', release_version: 'v1.1.0', artifact: 'firmware', error: null },
    ]);
    await first.device.stop();

    const second = rig({ firmwareVersion: 'v1.1.0' }, { slots: first.slots, reboots });
    const booting = second.device.start();
    second.mqtt.connect();
    await booting;
    const installed = statusOf(second.mqtt)[0]!;
    expect(installed).toEqual({
      message_id: expect.stringMatching(uuidV4Pattern),
      device_id: 'esp32-s3-001',
      device_model: 'esp32-s3',
      timestamp: expect.any(Number),
      state: 'online',
      firmware_version: 'v1.1.0',
      model_version: null,
      uptime_s: 0,
      ota: { state: 'installed', release_version: 'v1.1.0', artifact: 'firmware', error: null },
    });
    expect(first.slots.bootInfo()).toEqual({ version: 'v1.1.0', state: 'confirmed' });
    expect(second.device.counters.otaInstalled).toBe(1);
    await second.device.stop();
  });

  it('rolls back a new firmware that cannot reach the broker within the self-test timeout', async () => {
    const reboots: string[] = [];
    const first = rig({}, { reboots });
    first.server.release = buildRelease({ key, version: 'v1.1.0' });
    await first.device.start();
    first.mqtt.connect();
    await first.device.checkForUpdates('firmware');
    expect(reboots).toEqual(['activate']);

    const second = rig({ firmwareVersion: 'v1.1.0', selfTestTimeoutMs: 30_000 }, { slots: first.slots, reboots });
    const booting = second.device.start();
    await second.clock.advance(30_000);
    await booting;
    expect(reboots).toEqual(['activate', 'rollback']);
    expect(first.slots.bootInfo()).toMatchObject({
      version: 'v1.0.0',
      state: 'confirmed',
      rolledBack: { version: 'v1.1.0', reason: 'ZEN_FW_MQTT_NOT_CONNECTED' },
    });

    const third = rig({}, { slots: first.slots, reboots });
    await third.device.start();
    third.mqtt.connect();
    await flush();
    expect(statusOf(third.mqtt)[0]!.ota).toEqual({
      state: 'rolled_back',
      release_version: 'v1.1.0',
      artifact: 'firmware',
      error: 'ZEN_FW_MQTT_NOT_CONNECTED',
    });
    expect(third.device.counters.otaRolledBack).toBe(1);
  });

  it('installs an ML model into the model slot and publishes inference results with its version', async () => {
    const loaded: string[] = [];
    const inference: InferencePort = {
      load: (v) => void loaded.push(v),
      run: (sample) => ({ label: (sample.temperature ?? 0) > 21 ? 'warm' : 'cool', confidence: 0.9, scores: { warm: 0.9, cool: 0.1 } }),
    };
    const modelSlots = createMemorySlotStore({ capacityBytes: 32 * 1024 });
    const r = rig({}, { modelSlots, inference });
    r.server.release = buildRelease({ key, kind: 'model', version: 'm-20261130-abc123', image: imageOf(4_000, 9) });
    await r.device.start();
    r.mqtt.connect();
    await r.device.checkForUpdates('model');
    expect(loaded).toEqual(['m-20261130-abc123']);
    expect(modelSlots.bootInfo()).toEqual({ version: 'm-20261130-abc123', state: 'confirmed' });
    await r.device.sampleNow();
    await flush();
    expect(r.mqtt.json('/inference')).toEqual([
      {
        message_id: expect.stringMatching(uuidV4Pattern),
        device_id: 'esp32-s3-001',
        device_model: 'esp32-s3',
        timestamp: expect.any(Number),
        model_version: 'm-20261130-abc123',
        label: expect.any(String),
        confidence: 0.9,
        scores: { warm: 0.9, cool: 0.1 },
        result_json: null,
        latency_ms: 0,
        firmware_version: 'v1.0.0',
      },
    ]);
    expect(r.mqtt.json('/telemetry').at(-1)!.model_version).toBe('m-20261130-abc123');
    expect(r.mqtt.json('/status').map((s) => (s.ota as { state: string } | null)?.state)).toEqual([undefined, 'downloading', 'installed']);
    await r.device.stop();
  });
});
