import { createHash } from 'node:crypto';
import { buildRelease, createFakeOtaServer, createInstantClock, createTestKey, imageOf, type ReleaseOptions } from '../../test/fakes';
import { createMemorySlotStore, type MemorySlotStore } from '../adapters/memory-slot-store';
import { FirmwareError } from '../errors';
import { createOtaClient, type OtaClientSettings, type OtaReport } from './ota-client';
import { createSoftwareCrypto } from './software-crypto';
import type { ReleaseKind } from './version';

const identity = { deviceId: 'esp32-s3-001', deviceModel: 'esp32-s3' };
const key = createTestKey('k1');
const spkiKey = createTestKey('k-spki', 'spki');
const rogue = createTestKey('k1'); // same id, different key: a forged signature
const unknown = createTestKey('k9');
const trustedKeys = { [key.keyId]: key.publicKeyBase64, [spkiKey.keyId]: spkiKey.publicKeyBase64 };

interface Rig {
  server: ReturnType<typeof createFakeOtaServer>;
  slots: MemorySlotStore;
  reports: OtaReport[];
  reboots: string[];
  client: ReturnType<typeof createOtaClient>;
  /** A new client over the same slots: what runs after a reboot. */
  reboot(selfTest?: () => void): ReturnType<typeof createOtaClient>;
}

const rig = (
  release: ReturnType<typeof buildRelease> | undefined,
  options: { kind?: ReleaseKind; current?: string; capacityBytes?: number; settings?: Partial<OtaClientSettings> } = {},
): Rig => {
  const kind = options.kind ?? 'firmware';
  const server = createFakeOtaServer(release);
  const reports: OtaReport[] = [];
  const reboots: string[] = [];
  const slots = createMemorySlotStore({
    capacityBytes: options.capacityBytes ?? 64 * 1024,
    ...(options.current === undefined && kind === 'model' ? {} : { initialVersion: options.current ?? 'v1.0.0' }),
    onReboot: (why) => reboots.push(why),
  });
  const make = (selfTest: () => void = () => undefined): ReturnType<typeof createOtaClient> =>
    createOtaClient(
      identity,
      {
        kind,
        baseUrl: 'http://ota.test:8080',
        latestPath: kind === 'firmware' ? '/firmware/{model}/latest' : '/models/{model}/latest',
        trustedKeys,
        maxDownloadAttempts: 3,
        downloadRetryDelayMs: 1000,
        ...options.settings,
      },
      {
        http: server,
        clock: createInstantClock(),
        crypto: createSoftwareCrypto(),
        slots,
        report: (r) => reports.push(r),
        currentVersion: async () => (await slots.bootInfo()).version,
        selfTest,
      },
    );
  return { server, slots, reports, reboots, client: make(), reboot: make };
};

const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('OTA client: releases refused before download', () => {
  const cases: [string, Partial<ReleaseOptions>, string][] = [
    ['an unknown key id', { key: unknown }, 'ZEN_FW_UNKNOWN_KEY'],
    ['a signature by another key under a known id', { key: rogue }, 'ZEN_FW_SIGNATURE_INVALID'],
    [
      'a manifest edited after signing',
      { afterSign: (m) => void (m.manifest = { ...m.manifest, version: 'v9.9.9' }) },
      'ZEN_FW_SIGNATURE_INVALID',
    ],
    [
      'an unsigned sha256 that differs from the manifest',
      { afterSign: (m) => void (m.sha256 = 'a'.repeat(64)) },
      'ZEN_FW_MANIFEST_INVALID',
    ],
    ['an unsigned size that differs from the manifest', { afterSign: (m) => void (m.size = 1) }, 'ZEN_FW_MANIFEST_INVALID'],
    ['an older version (anti-rollback)', { version: 'v0.9.9' }, 'ZEN_FW_VERSION_NOT_NEWER'],
    ['an older minor beating a newer patch', { version: 'v0.10.0' }, 'ZEN_FW_VERSION_NOT_NEWER'],
    ['an expired manifest', { expiresAt: '2026-11-01T00:00:00Z' }, 'ZEN_FW_MANIFEST_EXPIRED'],
    ['another device model', { deviceModel: 'esp32-cam' }, 'ZEN_FW_MODEL_MISMATCH'],
    ['a model release on the firmware route', { kind: 'model' }, 'ZEN_FW_KIND_MISMATCH'],
    ['a malformed version', { version: 'v1.2' }, 'ZEN_FW_VERSION_INVALID'],
    ['an image larger than the slot', { image: imageOf(70_000) }, 'ZEN_FW_SLOT_TOO_SMALL'],
  ];

  it.each(cases)('refuses %s', async (_name, options, code) => {
    const r = rig(buildRelease({ key, ...options }));
    const outcome = await r.client.check();
    expect(outcome).toMatchObject({ kind: 'refused' });
    expect(outcome.kind === 'refused' && outcome.error.code).toBe(code);
    expect(r.reports).toEqual([{ kind: 'firmware', state: 'failed', version: expect.any(String), reason: code }]);
    expect(r.server.binaryRanges()).toEqual([]);
    expect(r.slots.bootInfo()).toMatchObject({ version: 'v1.0.0', state: 'confirmed' });
  });

  it('reports a refused release once, not on every scheduled check', async () => {
    const r = rig(buildRelease({ key, version: 'v0.1.0' }));
    await r.client.check();
    await r.client.check();
    expect(r.reports.filter((x) => x.state === 'failed')).toHaveLength(1);
  });

  it('treats the installed version as up to date without a report', async () => {
    const r = rig(buildRelease({ key, version: 'v1.0.0' }));
    expect(await r.client.check()).toEqual({ kind: 'up-to-date', version: 'v1.0.0' });
    expect(r.reports).toEqual([]);
  });

  it.each([
    [404, 'no-release'],
    [503, 'failed'],
  ])('handles a metadata answer of %i as %s', async (status, kind) => {
    const r = rig(buildRelease({ key }));
    r.server.faults.metadataStatus = status;
    expect((await r.client.check()).kind).toBe(kind);
    expect(r.reports).toEqual([]);
  });

  it('asks the latest route with the device id', async () => {
    const r = rig(undefined);
    await r.client.check();
    expect(r.server.requests[0]!.url).toBe('http://ota.test:8080/firmware/esp32-s3/latest?device_id=esp32-s3-001');
  });
});

describe('OTA client: download, verify, install', () => {
  it('installs a good update: downloading → pending reboot → self-test → confirmed → installed', async () => {
    const release = buildRelease({ key, version: 'v1.1.0' });
    const r = rig(release);
    expect(await r.client.check()).toEqual({ kind: 'activated', version: 'v1.1.0' });
    expect(r.reboots).toEqual(['activate']);
    expect(r.slots.bootInfo()).toEqual({ version: 'v1.1.0', state: 'pending' });
    expect(sha(r.slots.activeBytes())).toBe(release.meta.sha256);

    expect(await r.reboot().handleBoot()).toEqual({ kind: 'confirmed', version: 'v1.1.0' });
    expect(r.slots.bootInfo()).toEqual({ version: 'v1.1.0', state: 'confirmed' });
    expect(r.reports.map((x) => [x.state, x.version])).toEqual([
      ['downloading', 'v1.1.0'],
      ['installed', 'v1.1.0'],
    ]);
  });

  it('accepts a key built in as SPKI DER', async () => {
    const r = rig(buildRelease({ key: spkiKey }));
    expect((await r.client.check()).kind).toBe('activated');
  });

  it('refuses a tampered image: sha256 mismatch, slot discarded, nothing activated', async () => {
    const release = buildRelease({ key });
    const tampered = release.image.slice();
    tampered[4321] = tampered[4321]! ^ 0xff;
    const r = rig(release);
    r.server.faults.servedImage = tampered;
    const outcome = await r.client.check();
    expect(outcome.kind === 'failed' && outcome.error.code).toBe('ZEN_FW_HASH_MISMATCH');
    expect(r.reports.map((x) => [x.state, x.reason])).toEqual([
      ['downloading', undefined],
      ['failed', 'ZEN_FW_HASH_MISMATCH'],
    ]);
    expect(r.reboots).toEqual([]);
    expect(r.slots.inactiveBytes()).toHaveLength(0);
    expect(r.slots.bootInfo()).toEqual({ version: 'v1.0.0', state: 'confirmed' });
  });

  it('refuses a served image longer than the signed size', async () => {
    const release = buildRelease({ key });
    const r = rig(release);
    r.server.faults.servedImage = imageOf(release.image.length + 10);
    const outcome = await r.client.check();
    expect(outcome.kind === 'failed' && outcome.error.code).toBe('ZEN_FW_SIZE_MISMATCH');
    expect(r.reboots).toEqual([]);
  });

  it('refuses a served image shorter than the signed size', async () => {
    const release = buildRelease({ key, image: imageOf(6_000) });
    const r = rig(release);
    r.server.faults.servedImage = release.image.subarray(0, 5_000);
    const outcome = await r.client.check();
    expect(outcome.kind === 'failed' && outcome.error.code).toBe('ZEN_FW_SIZE_MISMATCH');
    expect(r.server.binaryRanges()).toEqual([undefined, 'bytes=5000-']);
    expect(r.slots.inactiveBytes()).toHaveLength(0);
    expect(r.reboots).toEqual([]);
  });

  it('resumes an interrupted download with Range from the bytes already written', async () => {
    const release = buildRelease({ key, image: imageOf(10_000, 3) });
    const r = rig(release);
    r.server.faults = { breakAfterBytes: 3_500, breakTimes: 2 };
    expect((await r.client.check()).kind).toBe('activated');
    expect(r.server.binaryRanges()).toEqual([undefined, 'bytes=3500-', 'bytes=7000-']);
    expect(sha(r.slots.activeBytes())).toBe(release.meta.sha256);
  });

  it('starts over when the server ignores Range', async () => {
    const release = buildRelease({ key });
    const r = rig(release);
    r.server.faults = { breakAfterBytes: 2_000, breakTimes: 1, ignoreRange: true };
    expect((await r.client.check()).kind).toBe('activated');
    expect(r.server.binaryRanges()).toEqual([undefined, 'bytes=2000-']);
    expect(sha(r.slots.activeBytes())).toBe(release.meta.sha256);
  });

  it('keeps the bytes of a download that gave up and resumes them (re-hashed) on the next check', async () => {
    const release = buildRelease({ key, image: imageOf(9_000, 5) });
    const r = rig(release);
    r.server.chunkBytes = 1000;
    // First attempt breaks at 4000 bytes; every retry breaks before a byte arrives.
    r.server.faults = { breakAfterBytes: 4_000, breakTimes: 1 };
    const originalGet = r.server.get.bind(r.server);
    let binaryCalls = 0;
    r.server.get = async (req, sink) => {
      if (req.url.includes('download=true') && ++binaryCalls > 1 && binaryCalls <= 3) throw new Error('ECONNRESET');
      return originalGet(req, sink);
    };
    const first = await r.client.check();
    expect(first.kind === 'failed' && first.error.code).toBe('ZEN_FW_DOWNLOAD_FAILED');
    expect(r.slots.inactiveBytes()).toHaveLength(4_000);

    const again = r.reboot();
    expect((await again.check()).kind).toBe('activated');
    expect(r.server.binaryRanges().at(-1)).toBe('bytes=4000-');
    expect(sha(r.slots.activeBytes())).toBe(release.meta.sha256);
    expect(r.reports.map((x) => x.state)).toEqual(['downloading', 'failed', 'downloading']);
  });

  it('rolls back a firmware whose self-test fails, and the previous firmware reports rolled_back', async () => {
    const r = rig(buildRelease({ key, version: 'v1.2.0' }));
    await r.client.check();
    const newFirmware = r.reboot(() => {
      throw new FirmwareError('ZEN_FW_MQTT_NOT_CONNECTED', 'broker unreachable');
    });
    const outcome = await newFirmware.handleBoot();
    expect(outcome).toMatchObject({ kind: 'rolled-back', version: 'v1.2.0' });
    expect(r.reboots).toEqual(['activate', 'rollback']);
    expect(r.slots.bootInfo()).toMatchObject({ version: 'v1.0.0', state: 'confirmed' });

    const oldFirmware = r.reboot();
    await oldFirmware.handleBoot();
    expect(r.reports.map((x) => [x.state, x.version, x.reason])).toEqual([
      ['downloading', 'v1.2.0', undefined],
      ['rolled_back', 'v1.2.0', 'ZEN_FW_MQTT_NOT_CONNECTED'],
    ]);
    expect(r.slots.bootInfo().rolledBack).toBeUndefined();
  });

  it('reports a rollback done by the bootloader (image never confirmed)', async () => {
    const r = rig(buildRelease({ key, version: 'v1.3.0' }));
    await r.client.check();
    r.slots.bootloaderRollback();
    await r.reboot().handleBoot();
    expect(r.reports.at(-1)).toEqual({ kind: 'firmware', state: 'rolled_back', version: 'v1.3.0', reason: 'ZEN_FW_BOOT_FAILED' });
  });

  it('does not check while the running image is still pending (its rollback slot must stay intact)', async () => {
    const r = rig(buildRelease({ key, version: 'v1.1.0' }));
    await r.client.check();
    r.server.release = buildRelease({ key, version: 'v1.2.0' });
    const requests = r.server.requests.length;
    expect(await r.reboot().check()).toEqual({ kind: 'busy' });
    expect(r.server.requests).toHaveLength(requests);
  });

  it('runs one check at a time', async () => {
    const r = rig(buildRelease({ key }));
    const [a, b] = await Promise.all([r.client.check(), r.client.check()]);
    expect([a.kind, b.kind].sort()).toEqual(['activated', 'busy']);
  });
});

describe('OTA client: ML models through the same path', () => {
  const modelRelease = (version: string, seed: number) => buildRelease({ key, kind: 'model', version, image: imageOf(5_000, seed) });

  it('installs the first model without a reboot after its self-test', async () => {
    const r = rig(modelRelease('m-20261130-abc123', 1), { kind: 'model' });
    const outcome = await r.client.check();
    expect(outcome).toEqual({ kind: 'activated', version: 'm-20261130-abc123' });
    expect(r.reboots).toEqual(['activate']);
    expect(r.slots.bootInfo()).toEqual({ version: 'm-20261130-abc123', state: 'confirmed' });
    expect(r.reports.map((x) => x.state)).toEqual(['downloading', 'installed']);
    expect(r.server.requests[0]!.url).toContain('/models/esp32-s3/latest?device_id=');
  });

  it('rolls back a model that fails its self-test and reports rolled_back at once', async () => {
    const r = rig(modelRelease('m-20261201-def456', 2), { kind: 'model', current: 'm-20261130-abc123' });
    const bad = r.reboot(() => {
      throw new Error('tensor arena too small');
    });
    const outcome = await bad.check();
    expect(outcome.kind === 'failed' && outcome.error.code).toBe('ZEN_FW_SELF_TEST_FAILED');
    expect(r.slots.bootInfo()).toEqual({ version: 'm-20261130-abc123', state: 'confirmed' });
    expect(r.reports.map((x) => [x.state, x.reason])).toEqual([
      ['downloading', undefined],
      ['rolled_back', 'ZEN_FW_SELF_TEST_FAILED'],
    ]);
  });

  it('refuses a model of the same day (not provably newer)', async () => {
    const r = rig(modelRelease('m-20261130-fff000', 3), { kind: 'model', current: 'm-20261130-abc123' });
    const outcome = await r.client.check();
    expect(outcome.kind === 'refused' && outcome.error.code).toBe('ZEN_FW_VERSION_NOT_NEWER');
  });
});
