// Kafka unreachable while a release is published: the notifications cannot be handed to Kafka,
// so the publish answers 503 with a code and rolls back (no row, no artifact); once Kafka is back
// the same publish succeeds and its notification arrives. The OTA API reaches the shared broker
// through a proxy this test cuts; the notifications are read straight from the broker. The same
// for the schema registry, which a second OTA API (nothing registered or cached yet) needs first.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type Harness } from './harness';
import { createKafkaProxy, type KafkaProxy } from '@zenthos/testing';
import { startNotificationLab, type NotificationLab } from './notifications-support';

jest.setTimeout(180_000);

const MODEL = 'esp32-s3';
let lab: NotificationLab;
let proxy: KafkaProxy;
let h: Harness;

beforeAll(async () => {
  lab = await startNotificationLab();
  const [host, port] = (lab.brokers[0] as string).split(':') as [string, string];
  proxy = await createKafkaProxy({ host, port: Number(port) });
  h = await startHarness({
    ...lab.env,
    KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
    // Fail fast: an operator waits this long for the 503.
    OTA_NOTIFICATIONS_TIMEOUT_MS: '3000',
  });
  await lab.listen();
  await h.ota.parts.devices.registerDevice({ id: 'outage-0', model: MODEL });
});

afterAll(async () => {
  proxy?.restore();
  await h?.close();
  await proxy?.close();
  await lab?.close();
});

/** POST /releases, bounded: a change waits at most OTA_NOTIFICATIONS_TIMEOUT_MS for Kafka. */
const publish = (version: string): Promise<Response> => {
  const form = new FormData();
  form.set('device_model', MODEL);
  form.set('version', version);
  form.set('file', new Blob([new Uint8Array(Buffer.alloc(512, version.length))]), 'firmware.bin');
  return fetch(`${h.ota.url}/releases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.tokens.publish}` },
    body: form,
    signal: AbortSignal.timeout(30_000),
  });
};
const answer = async (res: Response): Promise<{ status: number; code: string | undefined }> => ({
  status: res.status,
  code: ((await res.json()) as { code?: string }).code,
});

it('a publish while Kafka is unreachable answers 503 and leaves nothing; after Kafka is back it succeeds and notifies', async () => {
  expect((await publish('v1.0.0')).status).toBe(201);
  await lab.waitFor('the v1.0.0 notification', (r) => r.find((n) => n.device_id === 'outage-0' && n.version === 'v1.0.0'));

  proxy.cut();
  expect(await answer(await publish('v1.1.0'))).toEqual({ status: 503, code: 'ZEN_DEPENDENCY_UNAVAILABLE' });
  // Rolled back: no row, no artifact under its final name or in staging, latest unchanged.
  expect((await h.call('GET', `/releases/firmware/${MODEL}/v1.1.0`, { token: h.tokens.read })).status).toBe(404);
  expect(existsSync(join(h.config.OTA_STORAGE_DIR, 'firmware', MODEL, 'v1.1.0.bin'))).toBe(false);
  expect(readdirSync(join(h.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);
  expect(((await (await h.call('GET', `/firmware/${MODEL}/latest`)).json()) as { version: string }).version).toBe('v1.0.0');
  // A rollback-type change fails the same way and changes nothing either.
  expect(await answer(await h.call('POST', `/releases/firmware/${MODEL}/v1.0.0/yank`, { token: h.tokens.rollback }))).toEqual({
    status: 503,
    code: 'ZEN_DEPENDENCY_UNAVAILABLE',
  });
  expect(((await (await h.call('GET', `/firmware/${MODEL}/latest`)).json()) as { version: string }).version).toBe('v1.0.0');

  proxy.restore();
  // The producer reconnects with backoff: the operator retries the (retriable) 503 until it passes.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await answer(await publish('v1.1.0'));
    if (res.status === 201) break;
    expect(res).toEqual({ status: 503, code: 'ZEN_DEPENDENCY_UNAVAILABLE' });
    if (Date.now() > deadline) throw new Error('the publish did not succeed within 90 s of Kafka coming back');
  }
  // Kafka held the notification before the 201. Records of the failed attempts may arrive too
  // (librdkafka kept them queued; hints for nothing), but before it: a device's records share a
  // partition, so the newest one, which compaction and the retained MQTT message keep, is right.
  await lab.drain();
  const mine = lab.received.filter((n) => n.device_id === 'outage-0');
  expect(mine.at(-1)).toMatchObject({ version: 'v1.1.0', reason: 'published', rollout_id: null });
  const releases = (await (await h.call('GET', `/releases?device_model=${MODEL}`, { token: h.tokens.read })).json()) as {
    releases: { version: string; yanked_at: string | null }[];
  };
  expect(releases.releases.map((r) => [r.version, r.yanked_at]).sort()).toEqual([
    ['v1.0.0', null],
    ['v1.1.0', null],
  ]);
});

it('a publish while the schema registry is down answers 503 and leaves nothing; once it is back the publish succeeds', async () => {
  // A process of its own, straight to Kafka: its serde has no schema id cached yet.
  const fresh = await startHarness(lab.env);
  try {
    await fresh.ota.parts.devices.registerDevice({ id: 'outage-1', model: MODEL });
    const publishTo = (version: string): Promise<Response> => {
      const form = new FormData();
      form.set('device_model', MODEL);
      form.set('version', version);
      form.set('file', new Blob([new Uint8Array(Buffer.alloc(256, 1))]), 'firmware.bin');
      return fetch(`${fresh.ota.url}/releases`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fresh.tokens.publish}` },
        body: form,
        signal: AbortSignal.timeout(30_000),
      });
    };
    await lab.stopRegistry();
    try {
      expect(await answer(await publishTo('v2.0.0'))).toEqual({ status: 503, code: 'ZEN_DEPENDENCY_UNAVAILABLE' });
      expect((await fresh.call('GET', `/releases/firmware/${MODEL}/v2.0.0`, { token: fresh.tokens.read })).status).toBe(404);
      expect(readdirSync(join(fresh.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);
    } finally {
      await lab.restartRegistry();
    }
    expect((await publishTo('v2.0.0')).status).toBe(201);
    await lab.drain();
    expect(lab.received.filter((n) => n.device_id === 'outage-1')).toEqual([
      expect.objectContaining({ version: 'v2.0.0', reason: 'published' }),
    ]);
  } finally {
    await fresh.close();
  }
});
