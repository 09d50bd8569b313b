import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import {
  createDeviceRegistry,
  createDeviceRegistryFromConfig,
  keyIdOf,
  loadDevicesConfig,
  loadOrCreateEd25519Key,
  type DeviceRegistry,
} from '../src';

const adminUrl = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, process.env).DATABASE_URL;

describe('device registry against Postgres', () => {
  let db: TemporaryDatabase;
  let keysDir: string;
  let registry: DeviceRegistry;
  let clockMs = Date.now();

  beforeAll(async () => {
    db = await createTemporaryDatabase(adminUrl);
    keysDir = mkdtempSync(join(tmpdir(), 'zenthos-keys-'));
    registry = createDeviceRegistryFromConfig(
      loadDevicesConfig({ ZENTHOS_KEYS_DIR: keysDir, DEVICE_TOKEN_TTL_S: '3600', DEVICE_REVOCATION_CACHE_MS: '60000' }),
      db.pool,
      () => clockMs,
    );
  });
  afterAll(async () => {
    await db.drop();
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('creates a private development key readable only by its owner, and reuses it', () => {
    const path = join(keysDir, 'device-token-ed25519.pem');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = loadOrCreateEd25519Key({ devDir: keysDir, devName: 'device-token-ed25519' });
    expect(again.keyId).toBe(registry.signingKeyId);
  });

  it('registers a device whose token verifies to its id and model', async () => {
    const reg = await registry.registerDevice({ id: 'esp32-s3-001', model: 'esp32-s3', tags: ['lab'] });
    expect(reg).toMatchObject({ device_id: 'esp32-s3-001', model: 'esp32-s3' });
    await expect(registry.verifyDeviceToken(reg.token)).resolves.toMatchObject({ deviceId: 'esp32-s3-001', model: 'esp32-s3' });
    const stored = await registry.getDevice('esp32-s3-001');
    expect(stored?.tags).toEqual(['lab']);
  });

  it('refuses a second registration and bad ids', async () => {
    await expect(registry.registerDevice({ id: 'esp32-s3-001', model: 'esp32-s3' })).rejects.toMatchObject({ code: 'ZEN_CONFLICT' });
    await expect(registry.registerDevice({ id: 'a/b', model: 'esp32-s3' })).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
    await expect(registry.registerDevice({ id: 'ok', model: 'm#' })).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
  });

  it('refuses an expired token', async () => {
    const reg = await registry.registerDevice({ id: 'expiring', model: 'esp32-s3' });
    clockMs += 3_601_000;
    try {
      await expect(registry.verifyDeviceToken(reg.token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_TOKEN_EXPIRED' });
    } finally {
      clockMs -= 3_601_000;
    }
  });

  it('revokes every token of a device at once, even a cached one', async () => {
    const reg = await registry.registerDevice({ id: 'to-revoke', model: 'esp32-cam' });
    const second = await registry.issueDeviceToken('to-revoke');
    await registry.verifyDeviceToken(reg.token);
    await registry.verifyDeviceToken(second.token);
    await registry.revokeDevice('to-revoke');
    await expect(registry.verifyDeviceToken(reg.token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_REVOKED' });
    await expect(registry.verifyDeviceToken(second.token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_REVOKED' });
    await expect(registry.issueDeviceToken('to-revoke')).rejects.toMatchObject({ code: 'ZEN_DEVICE_REVOKED' });
    await expect(registry.revokeDevice('never-registered')).rejects.toMatchObject({ code: 'ZEN_NOT_FOUND' });
  });

  it('sees a revocation made by another process once its cache entry expires', async () => {
    const verifier = createDeviceRegistry({
      pool: db.pool,
      publicKeys: [loadOrCreateEd25519Key({ devDir: keysDir, devName: 'device-token-ed25519' }).publicKey],
      tokenTtlS: 3600,
      revocationCacheMs: 0,
    });
    const reg = await registry.registerDevice({ id: 'elsewhere', model: 'esp32-s3' });
    await expect(verifier.verifyDeviceToken(reg.token)).resolves.toMatchObject({ deviceId: 'elsewhere' });
    await expect(verifier.registerDevice({ id: 'nope', model: 'm' })).rejects.toMatchObject({ code: 'ZEN_CONFIG_INVALID' });
    await registry.revokeDevice('elsewhere');
    await expect(verifier.verifyDeviceToken(reg.token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_REVOKED' });
  });

  it('refuses a well-signed token whose credential is not on record', async () => {
    const other = generateKeyPairSync('ed25519');
    const foreign = createDeviceRegistry({
      pool: db.pool,
      signingKey: { keyId: keyIdOf(other.publicKey), privateKey: other.privateKey, publicKey: other.publicKey, source: 'test' },
      tokenTtlS: 60,
      revocationCacheMs: 0,
    });
    await registry.registerDevice({ id: 'ghost', model: 'esp32-s3' });
    const { token } = await foreign.issueDeviceToken('ghost');
    // Our registry does not know the foreign key at all.
    await expect(registry.verifyDeviceToken(token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_TOKEN_INVALID' });
    await db.pool.query('DELETE FROM device_credentials WHERE device_id = $1', ['ghost']);
    await expect(foreign.verifyDeviceToken(token)).rejects.toMatchObject({ code: 'ZEN_DEVICE_TOKEN_INVALID' });
  });

  it('lists devices by model and tag', async () => {
    await registry.registerDevice({ id: 'cam-1', model: 'esp32-cam', tags: ['beta'] });
    expect((await registry.listDevices({ model: 'esp32-cam' })).map((d) => d.id)).toEqual(['cam-1', 'to-revoke']);
    expect((await registry.listDevices({ tag: 'beta' })).map((d) => d.id)).toEqual(['cam-1']);
  });

  it('revokedCredentials answers which credentials are revoked, fresh from Postgres', async () => {
    const a = await registry.registerDevice({ id: 'batch-a', model: 'esp32-s3' });
    const b = await registry.registerDevice({ id: 'batch-b', model: 'esp32-s3' });
    const ja = (await registry.verifyDeviceToken(a.token)).credentialId;
    const jb = (await registry.verifyDeviceToken(b.token)).credentialId;
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect(await registry.revokedCredentials([ja, jb])).toEqual(new Set());
    await registry.revokeDevice('batch-b');
    expect(await registry.revokedCredentials([ja, jb, unknown, 'not-a-uuid'])).toEqual(new Set([jb, unknown, 'not-a-uuid']));
    expect(await registry.revokedCredentials([])).toEqual(new Set());
  });
});
