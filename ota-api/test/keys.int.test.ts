import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { Readable } from 'node:stream';
import { keyIdOf } from '@zenthos/devices';
import { loadOtaConfig } from '../src/config';
import { createOtaParts, type OtaParts } from '../src/main';
import { startHarness, type Harness } from './harness';

describe('signing keys: rotation and revocation', () => {
  let h: Harness;
  let second: OtaParts;
  const newKey = generateKeyPairSync('ed25519');
  const newKeyId = keyIdOf(newKey.publicKey);

  beforeAll(async () => {
    h = await startHarness();
    // Another process configured with a newer key, sharing the database: the rotation case.
    second = await createOtaParts(
      loadOtaConfig({ ...h.env, OTA_SIGNING_KEY: newKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }),
      {
        logger: h.ota.parts.logger,
      },
    );
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  it('a new key signs while the old public key stays listed and verifying', async () => {
    const oldKeyId = h.ota.parts.keyring.active?.keyId as string;
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(100, 1))).status).toBe(201);
    const staged = await second.releases.stage(Readable.from([Buffer.alloc(100, 2)]));
    const rel = await second.releases.publish({ kind: 'firmware', deviceModel: 'esp32-s3', version: 'v1.1.0', staged });
    expect(rel.key_id).toBe(newKeyId);

    const keys = (await (await h.call('GET', '/keys')).json()) as {
      keys: { key_id: string; public_key_pem: string; revoked_at: string | null }[];
    };
    expect(keys.keys.map((k) => k.key_id).sort()).toEqual([oldKeyId, newKeyId].sort());
    for (const version of ['v1.0.0', 'v1.1.0']) {
      const m = (await (await h.call('GET', `/firmware/esp32-s3/${version}`)).json()) as {
        manifest: string;
        signature: string;
        key_id: string;
      };
      const pem = keys.keys.find((k) => k.key_id === m.key_id)?.public_key_pem as string;
      expect(verify(null, Buffer.from(m.manifest), createPublicKey(pem), Buffer.from(m.signature, 'base64'))).toBe(true);
    }
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe('v1.1.0');
  });

  it("a revoked key's signatures are refused and it can no longer sign", async () => {
    const oldKeyId = h.ota.parts.keyring.active?.keyId as string;
    await h.ota.parts.releases.revokeKey(oldKeyId);
    const refused = await h.call('GET', '/firmware/esp32-s3/v1.0.0');
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'ZEN_OTA_KEY_REVOKED' });
    expect((await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true')).status).toBe(409);
    expect((await h.call('GET', '/firmware/esp32-s3/v1.1.0')).status).toBe(200);

    const publish = await h.publish({ device_model: 'esp32-s3', version: 'v1.2.0' }, Buffer.alloc(100, 3));
    expect(publish.status).toBe(409);
    expect(await publish.json()).toMatchObject({ code: 'ZEN_OTA_KEY_REVOKED' });

    const keys = (await (await h.call('GET', '/keys')).json()) as { keys: { key_id: string; revoked_at: string | null }[] };
    expect(keys.keys.find((k) => k.key_id === oldKeyId)?.revoked_at).toEqual(expect.any(String));
    // A process must not start signing with a revoked key.
    await expect(createOtaParts(h.config, { logger: h.ota.parts.logger })).rejects.toMatchObject({ code: 'ZEN_OTA_KEY_REVOKED' });

    await second.releases.revokeKey(newKeyId);
    expect((await h.call('GET', '/firmware/esp32-s3/latest')).status).toBe(404);
    await expect(h.ota.parts.releases.revokeKey('0000000000000000')).rejects.toMatchObject({ code: 'ZEN_NOT_FOUND' });
  });

  it('refuses a configured key that is not ed25519 with a config error', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(createOtaParts(loadOtaConfig({ ...h.env, OTA_SIGNING_KEY: rsa }))).rejects.toMatchObject({ code: 'ZEN_CONFIG_INVALID' });
  });
});

describe('an OTA API with a small artifact limit and no webhook secret', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ OTA_MAX_ARTIFACT_BYTES: '2048' });
  });
  afterAll(async () => {
    await h?.close();
  });
  it('answers 404 on the webhook route', async () => {
    const res = await h.call('POST', '/hooks/github-release', {
      headers: { 'x-github-event': 'ping', 'x-github-delivery': 'x' },
      body: '{}',
    });
    expect(res.status).toBe(404);
  });

  it('refuses an upload over the limit with 413 and keeps nothing of it', async () => {
    const res = await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(5000, 1));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'ZEN_BAD_REQUEST' });
    expect(readdirSync(join(h.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);
    expect((await h.call('GET', '/firmware/esp32-s3/v1.0.0')).status).toBe(404);
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(2048, 1))).status).toBe(201);
  });
});
