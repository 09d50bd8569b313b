import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { commonEnv, createLogger, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { loadOtaConfig, type OtaConfig } from '../src/config';
import { startOtaServer, type OtaPartsOptions, type OtaServer } from '../src/main';

const base = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL, REDIS_URL: commonEnv.REDIS_URL }, process.env);

/** One isolated OTA API: its own database, storage folder, keys folder and Redis prefix. */
export interface Harness {
  readonly ota: OtaServer;
  readonly db: TemporaryDatabase;
  readonly dir: string;
  readonly config: OtaConfig;
  /** The variables `config` was read from, to start a second process on the same database. */
  readonly env: Record<string, string>;
  /** API tokens by scope set. */
  readonly tokens: { read: string; publish: string; rollback: string; all: string };
  call(
    method: string,
    path: string,
    init?: { token?: string; json?: unknown; body?: string | Uint8Array | FormData; headers?: Record<string, string> },
  ): Promise<Response>;
  /** POST /releases with a multipart upload. */
  publish(fields: Record<string, string>, file: Buffer, token?: string): Promise<Response>;
  close(): Promise<void>;
}

/** Starts an isolated OTA API; `env` overrides settings. */
export async function startHarness(env: Record<string, string> = {}, options: Omit<OtaPartsOptions, 'logger'> = {}): Promise<Harness> {
  const db = await createTemporaryDatabase(base.DATABASE_URL);
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-ota-'));
  let config: OtaConfig;
  let vars: Record<string, string>;
  let ota: OtaServer;
  try {
    vars = {
      DATABASE_URL: db.url,
      REDIS_URL: base.REDIS_URL,
      OTA_REDIS_PREFIX: `zenthos-test:${randomBytes(6).toString('hex')}:`,
      OTA_PORT: '0',
      OTA_HOST: '127.0.0.1',
      OTA_STORAGE_DIR: join(dir, 'artifacts'),
      ZENTHOS_KEYS_DIR: join(dir, 'keys'),
      LOG_LEVEL: 'silent',
      DEVICE_REVOCATION_CACHE_MS: '0',
      OTA_LATEST_CACHE_TTL_S: '60',
      OTA_DEVICE_STATE_TTL_S: '60',
      OTA_GAUGE_INTERVAL_MS: '0',
      // Kafka paths are off unless a test turns them on with its own topics.
      OTA_NOTIFICATIONS: 'false',
      OTA_STATUS_FROM_KAFKA: 'false',
      ...env,
    };
    config = loadOtaConfig(vars);
    ota = await startOtaServer(config, { logger: createLogger({ service: 'ota-test', level: 'silent' }), ...options });
  } catch (err) {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const t = ota.parts.tokens;
  const tokens = {
    read: (await t.create('r', 'read')).token,
    publish: (await t.create('p', 'publish')).token,
    rollback: (await t.create('b', 'rollback')).token,
    all: (await t.create('a', 'read,publish,rollback')).token,
  };
  const call: Harness['call'] = (method, path, init = {}) => {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    let body: string | Uint8Array | FormData | undefined = init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    return fetch(`${ota.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  };
  return {
    ota,
    db,
    dir,
    config,
    env: vars,
    tokens,
    call,
    publish(fields, file, token = tokens.publish) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      form.set('file', new Blob([new Uint8Array(file)]), 'artifact.bin');
      return fetch(`${ota.url}/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    },
    async close() {
      const redis = new Redis(base.REDIS_URL);
      const keys = await redis.keys(`${config.OTA_REDIS_PREFIX}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await ota.close();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
