import { randomUUID } from 'node:crypto';
import { commonEnv, loadConfig, sleep } from '@zenthos/core';
import { createPool, createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createTcpProxy } from '@zenthos/testing';
import { createMemoryDedupeStore } from '../src/adapters/memory-dedupe-store';
import { createRedisDedupeStore, type ClosableDedupeStore } from '../src/adapters/redis-dedupe-store';
import { createPostgresDeviceRegistry, type PostgresDeviceRegistry } from '../src/adapters/postgres-device-registry';
import type { DedupeStore } from '../src/domain/dedupe';

const config = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL, REDIS_URL: commonEnv.REDIS_URL }, process.env);

const waitFor = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

// STYLE.md: one contract, run against every implementation of the port.
describe.each([
  ['memory', (): DedupeStore & { close?: () => Promise<void> } => createMemoryDedupeStore()],
  ['redis', (): ClosableDedupeStore => createRedisDedupeStore({ url: config.REDIS_URL, keyPrefix: `test:dedupe:${randomUUID()}:` })],
])('DedupeStore contract: %s', (_name, create) => {
  let store: DedupeStore & { close?: () => Promise<void> };
  beforeEach(() => {
    store = create();
  });
  afterEach(async () => {
    await store.close?.();
  });

  it('lets the first claim through and refuses a claim by another owner', async () => {
    const id = randomUUID();
    expect(await store.claim(id, 't/0/1', 60_000)).toEqual({ firstSeen: true });
    expect(await store.claim(id, 't/0/2', 60_000)).toEqual({ firstSeen: false });
  });

  it('lets the same owner claim again (a record re-read after a crash)', async () => {
    const id = randomUUID();
    expect(await store.claim(id, 't/0/1', 60_000)).toEqual({ firstSeen: true });
    expect(await store.claim(id, 't/0/1', 60_000)).toEqual({ firstSeen: true });
  });

  it('answers many concurrent claims for the same id with exactly one winner', async () => {
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.claim(id, `t/0/${i}`, 60_000)));
    expect(results.filter((r) => r.firstSeen)).toHaveLength(1);
  });

  it('keeps each owner whole when claims of one tick share part of it or differ in window', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    // Made in the same tick: one batch for the Redis store, whose owners share the prefix "t/0/1".
    const first = await Promise.all([store.claim(a, 't/0/1', 60_000), store.claim(b, 't/0/12', 60_000), store.claim(c, 'u/1/1', 30_000)]);
    expect(first.map((r) => r.firstSeen)).toEqual([true, true, true]);
    const again = await Promise.all([
      store.claim(a, 't/0/1', 60_000),
      store.claim(a, 't/0/12', 60_000),
      store.claim(b, 't/0/12', 60_000),
      store.claim(b, 't/0/1', 60_000),
      store.claim(c, 'u/1/1', 30_000),
      store.claim(c, 't/0/1', 60_000),
    ]);
    expect(again.map((r) => r.firstSeen)).toEqual([true, false, true, false, true, false]);
  });

  it('treats any id and owner text alike, newlines and empty strings included', async () => {
    const [a, b] = [`${randomUUID()}\nsecond line`, randomUUID()];
    // One batch for the Redis store: an id with a newline cannot travel newline-joined.
    const first = await Promise.all([
      store.claim(a, 't/0/1', 60_000),
      store.claim(b, 't/0/1\n2', 60_000),
      store.claim('', 't/0/3', 60_000),
    ]);
    expect(first.map((r) => r.firstSeen)).toEqual([true, true, true]);
    const again = await Promise.all([
      store.claim(a, 't/0/1', 60_000),
      store.claim(a, 't/0/2', 60_000),
      store.claim(b, 't/0/1\n2', 60_000),
      store.claim(b, 't/0/1', 60_000),
      store.claim(a.split('\n')[0] as string, 't/0/4', 60_000),
    ]);
    expect(again.map((r) => r.firstSeen)).toEqual([true, false, true, false, true]);
  });

  it('claims a whole batch of distinct ids in one go, and knows each of them afterwards', async () => {
    const ids = Array.from({ length: 700 }, () => randomUUID());
    const first = await Promise.all(ids.map((id, i) => store.claim(id, `zenthos.telemetry.raw/${i % 3}/${1000 + i}`, 60_000)));
    expect(first.every((r) => r.firstSeen)).toBe(true);
    const again = await Promise.all(
      ids.map((id, i) => store.claim(id, `zenthos.telemetry.raw/${i % 3}/${i % 2 === 0 ? 1000 + i : 5000 + i}`, 60_000)),
    );
    expect(again.map((r) => r.firstSeen)).toEqual(ids.map((_, i) => i % 2 === 0));
  });

  it('forgets an id after the window', async () => {
    const id = randomUUID();
    await store.claim(id, 't/0/1', 1_000);
    await sleep(1_100);
    expect(await store.claim(id, 't/0/2', 1_000)).toEqual({ firstSeen: true });
  });
});

describe('Postgres device registry', () => {
  let db: TemporaryDatabase;
  let registry: PostgresDeviceRegistry;
  beforeAll(async () => {
    db = await createTemporaryDatabase(config.DATABASE_URL);
  });
  afterAll(async () => {
    await db.drop();
  });
  beforeEach(async () => {
    registry = createPostgresDeviceRegistry({ pool: db.pool, url: db.url, activityFlushMs: 60_000 });
    await registry.start();
  });
  afterEach(async () => {
    await registry.close();
  });

  it('caches lookups and drops the entry when the row changes (LISTEN/NOTIFY)', async () => {
    await db.pool.query(`INSERT INTO devices (id, model, owner, metadata) VALUES ('dev-1', 'esp32-s3', 'ann', '{"room":"a"}')`);
    expect(await registry.get('dev-1')).toEqual({ id: 'dev-1', model: 'esp32-s3', owner: 'ann', metadata: { room: 'a' }, revoked: false });
    expect(await registry.get('nobody')).toBeUndefined();
    // The INSERT's own notification may arrive during the first lookup, which then is not cached.
    await waitFor('both entries to be cached', async () => {
      await Promise.all([registry.get('dev-1'), registry.get('nobody')]);
      return registry.cacheSize() === 2;
    });

    await db.pool.query(`UPDATE devices SET owner = 'bob' WHERE id = 'dev-1'`);
    await waitFor('the cache entry to go', () => registry.cacheSize() === 1);
    expect((await registry.get('dev-1'))?.owner).toBe('bob');

    // A device registered later is found although "unknown" was cached.
    await db.pool.query(`INSERT INTO devices (id, model) VALUES ('nobody', 'esp32-cam')`);
    await waitFor('the negative entry to go', async () => (await registry.get('nobody')) !== undefined);
    await db.pool.query(`UPDATE devices SET revoked_at = now() WHERE id = 'nobody'`);
    await waitFor('revocation to be seen', async () => (await registry.get('nobody'))?.revoked === true);
  });

  it('does not invalidate on its own last_seen updates, and writes them in one batch', async () => {
    await db.pool.query(`INSERT INTO devices (id, model) VALUES ('dev-2', 'esp32-s3'), ('dev-3', 'esp32-s3')`);
    // Let the INSERT's own notifications arrive first: they rightly drop entries cached before them.
    await sleep(500);
    await waitFor('both entries to be cached', async () => {
      await Promise.all([registry.get('dev-2'), registry.get('dev-3')]);
      return registry.cacheSize() === 2;
    });
    const t = Date.UTC(2026, 10, 30, 10, 0, 0);
    registry.record({ deviceId: 'dev-2', seenAtMs: t, firmwareVersion: 'v1.0.0', modelVersion: null });
    registry.record({ deviceId: 'dev-2', seenAtMs: t - 60_000, firmwareVersion: 'v0.9.0', modelVersion: null });
    registry.record({ deviceId: 'dev-3', seenAtMs: t, firmwareVersion: null, modelVersion: 'm-20261130-abc' });
    await registry.flushActivity();
    const { rows } = await db.pool.query(
      "SELECT id, last_seen, firmware_version, model_version FROM devices WHERE id IN ('dev-2', 'dev-3') ORDER BY id",
    );
    expect(rows).toEqual([
      { id: 'dev-2', last_seen: new Date(t), firmware_version: 'v1.0.0', model_version: null },
      { id: 'dev-3', last_seen: new Date(t), firmware_version: null, model_version: 'm-20261130-abc' },
    ]);
    // An older sighting (a replay) never moves last_seen back.
    registry.record({ deviceId: 'dev-2', seenAtMs: t - 3_600_000, firmwareVersion: 'v0.1.0', modelVersion: null });
    await registry.flushActivity();
    const after = await db.pool.query(`SELECT last_seen, firmware_version FROM devices WHERE id = 'dev-2'`);
    expect(after.rows[0]).toEqual({ last_seen: new Date(t), firmware_version: 'v1.0.0' });
    await sleep(300);
    expect(registry.cacheSize()).toBe(2);
  });

  it('registers an unknown device when asked', async () => {
    expect(await registry.register({ id: 'new-1', model: 'esp32-s3' })).toMatchObject({ id: 'new-1', model: 'esp32-s3', revoked: false });
    expect(await registry.register({ id: 'new-1', model: 'other' })).toMatchObject({ id: 'new-1', model: 'esp32-s3' });
  });

  it('starts while Postgres is away, answers lookups with retriable errors, and caches again once it is back', async () => {
    await db.pool.query(`INSERT INTO devices (id, model) VALUES ('dev-9', 'esp32-s3') ON CONFLICT DO NOTHING`);
    const proxy = await createTcpProxy(Number(new URL(db.url).port || 5432));
    await proxy.cut();
    const url = new URL(db.url);
    url.port = String(proxy.port);
    const pool = createPool(url.toString(), { max: 2 });
    const errors: string[] = [];
    const away = createPostgresDeviceRegistry({ pool, url: url.toString(), onError: (e) => errors.push(e.code) });
    try {
      await away.start();
      await expect(away.get('dev-9')).rejects.toMatchObject({ code: 'ZEN_DEPENDENCY_UNAVAILABLE', retriable: true });
      await proxy.restore();
      await waitFor('lookups to work and be cached again', async () => {
        const d = await Promise.resolve(away.get('dev-9')).catch(() => undefined);
        return d?.id === 'dev-9' && away.cacheSize() === 1;
      });
      expect(errors).toContain('ZEN_DEPENDENCY_UNAVAILABLE');
    } finally {
      await away.close();
      await pool.end();
      await proxy.close();
    }
  });
});
