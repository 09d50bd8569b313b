// Release notifications of the changes that move offers without touching releases or rollouts:
// revoking a signing key and changing a device's tags. Real Kafka, registry, Postgres and Redis;
// the notifications are read back from the (random) topic.
import { generateKeyPairSync } from 'node:crypto';
import { keyIdOf } from '@zenthos/devices';
import type { OtaNotification } from '@zenthos/schemas';
import { loadOtaConfig } from '../src/config';
import { createOtaParts, type OtaParts } from '../src/main';
import { startHarness, type Harness } from './harness';
import { startNotificationLab, type NotificationLab } from './notifications-support';

jest.setTimeout(120_000);

const S3 = 'esp32-s3';
const CAM = 'esp32-cam';
const C3 = 'esp32-c3';
let lab: NotificationLab;
let h: Harness;
/** A second process signing with another key, on the same database and topic. */
let second: OtaParts;
const secondKey = generateKeyPairSync('ed25519');
const s3Devices = Array.from({ length: 8 }, (_, i) => `s3-${i}`);

/** Notifications read since `mark` (an index into lab.received). */
const since = (mark: number): OtaNotification[] => lab.received.slice(mark);
const byDevice = (
  list: readonly OtaNotification[],
): Record<string, { version: string | null; reason: string; rollout_id: string | null }> =>
  Object.fromEntries(list.map((n) => [n.device_id, { version: n.version, reason: n.reason, rollout_id: n.rollout_id }]));

const publishWith = async (parts: OtaParts, model: string, version: string): Promise<void> => {
  const { Readable } = await import('node:stream');
  const staged = await parts.releases.stage(Readable.from([Buffer.alloc(256, version.length)]));
  await parts.releases.publish({ kind: 'firmware', deviceModel: model, version, staged, source: 'cli' });
};
const latestOf = async (deviceId: string): Promise<string | null> => {
  const res = await h.call('GET', `/firmware/${S3}/latest?device_id=${deviceId}`);
  return res.status === 404 ? null : ((await res.json()) as { version: string }).version;
};

beforeAll(async () => {
  lab = await startNotificationLab();
  h = await startHarness(lab.env);
  second = await createOtaParts(
    loadOtaConfig({ ...h.env, OTA_SIGNING_KEY: secondKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
    { logger: h.ota.parts.logger },
  );
  await lab.listen();
  for (const id of s3Devices) await h.ota.parts.devices.registerDevice({ id, model: S3 });
  await h.ota.parts.devices.registerDevice({ id: 'cam-0', model: CAM });
});

afterAll(async () => {
  await second?.close();
  await h?.close();
  await lab?.close();
});

describe('revoking a signing key', () => {
  it('notifies, in every model it signed for, exactly the devices whose offered release moves back', async () => {
    // The harness key signs the older releases, the second key the newer ones: the general
    // release of esp32-cam and a rollout of esp32-s3 to two devices.
    await publishWith(h.ota.parts, S3, 'v1.0.0');
    await publishWith(h.ota.parts, S3, 'v1.1.0');
    await publishWith(h.ota.parts, CAM, 'v1.0.0');
    await publishWith(second, S3, 'v1.2.0');
    const rollout = await h.ota.parts.rollouts.create({
      kind: 'firmware',
      device_model: S3,
      version: 'v1.2.0',
      cohort: { type: 'devices', deviceIds: ['s3-0', 's3-1'] },
      stages: [{ percent: 100 }],
    });
    await publishWith(second, CAM, 'v1.1.0');
    expect(await latestOf('s3-0')).toBe('v1.2.0');
    expect(await latestOf('s3-5')).toBe('v1.1.0');
    expect(rollout.status).toBe('active');
    await lab.drain();

    const mark = lab.received.length;
    const secondKeyId = keyIdOf(secondKey.publicKey);
    expect(await h.ota.parts.releases.revokeKey(secondKeyId)).toEqual({ notified: 3 });
    await lab.drain();
    expect(byDevice(since(mark))).toEqual({
      's3-0': { version: 'v1.1.0', reason: 'key_revoked', rollout_id: null },
      's3-1': { version: 'v1.1.0', reason: 'key_revoked', rollout_id: null },
      'cam-0': { version: 'v1.0.0', reason: 'key_revoked', rollout_id: null },
    });
    // What the notifications announce is what the devices are now offered.
    expect(await latestOf('s3-0')).toBe('v1.1.0');
    expect(await latestOf('s3-5')).toBe('v1.1.0');
    expect(((await (await h.call('GET', `/firmware/${CAM}/latest`)).json()) as { version: string }).version).toBe('v1.0.0');

    // Revoking it again moves nothing, so nobody hears of it; an unknown key is a 404 and notifies nobody.
    expect(await h.ota.parts.releases.revokeKey(secondKeyId)).toEqual({ notified: 0 });
    await expect(h.ota.parts.releases.revokeKey('0000000000000000')).rejects.toMatchObject({ code: 'ZEN_NOT_FOUND' });
    await lab.drain();
    expect(since(mark)).toHaveLength(3);
    // The rollout of the revoked release ended with the revocation (it could offer nothing any
    // more), and no new rollout can be made of that release.
    expect(await h.ota.parts.rollouts.get(rollout.id)).toMatchObject({
      status: 'aborted',
      status_reason: `signing key ${secondKeyId} revoked`,
    });
    await expect(
      h.ota.parts.rollouts.create({ kind: 'firmware', device_model: S3, version: 'v1.2.0', cohort: { type: 'all' } }),
    ).rejects.toMatchObject({ code: 'ZEN_OTA_KEY_REVOKED' });
  });
  it('a publish signed by the key that commits while the revocation waits for it is revoked and notified too', async () => {
    const third = generateKeyPairSync('ed25519');
    const parts = await createOtaParts(
      loadOtaConfig({ ...h.env, OTA_SIGNING_KEY: third.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      { logger: h.ota.parts.logger },
    );
    try {
      await h.ota.parts.devices.registerDevice({ id: 'c3-0', model: C3 });
      // A model the key signed for before: the revocation knows it from the start.
      await publishWith(parts, CAM, 'v1.2.0');
      await lab.drain();
      const mark = lab.received.length;
      // A publish of a model the key never signed for, held just before its COMMIT: it holds the
      // key row (FOR SHARE), so the revocation's UPDATE waits for it.
      const { Readable } = await import('node:stream');
      const staged = await parts.releases.stage(Readable.from([Buffer.alloc(256, 9)]));
      let atCommit!: () => void;
      let release!: () => void;
      const reached = new Promise<void>((r) => (atCommit = r));
      const held = new Promise<void>((r) => (release = r));
      const publishing = parts.releases.publish(
        { kind: 'firmware', deviceModel: C3, version: 'v1.0.0', staged },
        {
          beforeCommit: async () => {
            atCommit();
            await held;
          },
        },
      );
      await reached;
      const revoking = h.ota.parts.releases.revokeKey(keyIdOf(third.publicKey));
      await lab.waitFor('the revocation to wait for the key row', async () => {
        const { rows } = await h.db.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'UPDATE signing_keys%'`,
        );
        return Number(rows[0]?.n) > 0 ? true : undefined;
      });
      release();
      await publishing;
      expect(await revoking).toEqual({ notified: 2 });
      await lab.drain();
      expect(since(mark).map((n) => [n.device_id, n.version, n.reason])).toEqual(
        expect.arrayContaining([
          ['cam-0', 'v1.0.0', 'key_revoked'],
          ['c3-0', 'v1.0.0', 'published'],
          ['c3-0', null, 'key_revoked'],
        ]),
      );
      expect(since(mark)).toHaveLength(3);
      expect(
        since(mark)
          .filter((n) => n.device_id === 'c3-0')
          .map((n) => n.reason),
      ).toEqual(['published', 'key_revoked']);
      expect((await h.call('GET', `/firmware/${C3}/latest`)).status).toBe(404);
    } finally {
      await parts.close();
    }
  });
});

describe("changing a device's tags", () => {
  let rolloutId: string;
  beforeAll(async () => {
    await publishWith(h.ota.parts, S3, 'v1.3.0');
    rolloutId = (
      await h.ota.parts.rollouts.create({
        kind: 'firmware',
        device_model: S3,
        version: 'v1.3.0',
        cohort: { type: 'tag', tag: 'beta' },
        stages: [{ percent: 100 }],
      })
    ).id;
  });
  const patch = (id: string, json: unknown, token = h.tokens.publish): Promise<Response> =>
    h.call('PATCH', `/devices/${id}`, { token, json });

  it('a device tagged into a tag cohort is notified of the rollout release, and untagged, of the general one', async () => {
    await lab.drain();
    let mark = lab.received.length;
    const res = await patch('s3-5', { tags: ['beta'] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: 's3-5', model: S3, tags: ['beta'] });
    await lab.drain();
    expect(since(mark).map((n) => ({ ...n, message_id: undefined, timestamp: undefined }))).toEqual([
      {
        message_id: undefined,
        device_id: 's3-5',
        device_model: S3,
        kind: 'firmware',
        version: 'v1.3.0',
        reason: 'tags_changed',
        rollout_id: rolloutId,
        timestamp: undefined,
      },
    ]);
    expect(await latestOf('s3-5')).toBe('v1.3.0');

    // Another tag besides moves nothing.
    mark = lab.received.length;
    expect((await patch('s3-5', { tags: ['beta', 'lab', 'beta'] })).status).toBe(200);
    await lab.drain();
    expect(since(mark)).toEqual([]);
    const listed = (await (await h.call('GET', '/devices?tag=lab', { token: h.tokens.read })).json()) as {
      devices: { id: string; tags: string[] }[];
    };
    expect(listed.devices).toEqual([expect.objectContaining({ id: 's3-5', tags: ['beta', 'lab'] })]);

    mark = lab.received.length;
    expect((await patch('s3-5', { tags: [] })).status).toBe(200);
    await lab.drain();
    expect(byDevice(since(mark))).toEqual({ 's3-5': { version: 'v1.1.0', reason: 'tags_changed', rollout_id: null } });
    expect(await latestOf('s3-5')).toBe('v1.1.0');
  });

  it('a revoked device and a newly registered one are not notified; bad requests change nothing', async () => {
    await lab.drain();
    const mark = lab.received.length;
    expect((await h.call('POST', '/devices/s3-7/revoke', { token: h.tokens.rollback })).status).toBe(200);
    expect((await patch('s3-7', { tags: ['beta'] })).status).toBe(200);
    // Registered straight into the open rollout's cohort: it asks `latest` when it starts.
    const registered = await h.call('POST', '/devices', { token: h.tokens.publish, json: { id: 's3-new', model: S3, tags: ['beta'] } });
    expect(registered.status).toBe(201);
    expect(await latestOf('s3-new')).toBe('v1.3.0');

    const refusals = [
      [await patch('s3-6', { tags: 'beta' }), 400, 'ZEN_BAD_REQUEST'],
      [await patch('s3-6', { tags: ['no spaces'] }), 400, 'ZEN_BAD_REQUEST'],
      [await patch('s3-6', { tags: ['beta'], owner: 'x' }), 400, 'ZEN_BAD_REQUEST'],
      [await patch('s3-6', {}), 400, 'ZEN_BAD_REQUEST'],
      [await patch('nobody', { tags: ['beta'] }), 404, 'ZEN_NOT_FOUND'],
      [await patch('s3-6', { tags: ['beta'] }, h.tokens.read), 403, 'ZEN_FORBIDDEN'],
    ] as const;
    for (const [res, status, code] of refusals) expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([status, code]);
    await lab.drain();
    expect(since(mark)).toEqual([]);
    expect(await latestOf('s3-6')).toBe('v1.1.0');
  });
});
