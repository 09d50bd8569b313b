import { createHash, createPublicKey, verify } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { Readable } from 'node:stream';
import { startHarness, type Harness } from './harness';

const firmware = (n: number, size = 4096): Buffer => Buffer.alloc(size, n);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('releases, signatures and device routes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('GET /health answers the spec body and /ready checks dependencies', async () => {
    const health = await h.call('GET', '/health');
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; ts: number };
    expect(body.status).toBe('ok');
    expect(Number.isInteger(body.ts)).toBe(true);
    const ready = await h.call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', cache: 'ok', storage: 'ok' } });
  });

  it('publishes a signed firmware release and serves its spec §5 metadata', async () => {
    const bin = firmware(1);
    const res = await h.publish({ kind: 'firmware', device_model: 'esp32-s3', version: 'v1.0.0', release_notes: 'first' }, bin);
    expect(res.status).toBe(201);
    const rel = (await res.json()) as Record<string, unknown>;
    expect(rel).toMatchObject({
      device_model: 'esp32-s3',
      version: 'v1.0.0',
      sha256: sha(bin),
      size: bin.length,
      release_notes: 'first',
      source: 'upload',
    });

    const meta = await h.call('GET', '/firmware/esp32-s3/v1.0.0');
    expect(meta.status).toBe(200);
    const m = (await meta.json()) as Record<string, string | number>;
    for (const key of ['device_model', 'version', 'binary_url', 'sha256', 'signature', 'uploaded_at', 'size', 'key_id', 'manifest'])
      expect(m).toHaveProperty(key);
    expect(m.binary_url).toBe(`http://localhost:8080/firmware/esp32-s3/v1.0.0?download=true`);
    expect(new Date(m.uploaded_at as string).toISOString()).toBe(m.uploaded_at);
    expect(JSON.parse(m.manifest as string)).toMatchObject({
      kind: 'firmware',
      device_model: 'esp32-s3',
      version: 'v1.0.0',
      size: bin.length,
      sha256: sha(bin),
      key_id: m.key_id,
    });
  });

  it('signatures verify with node:crypto and openssl; a tampered manifest or artifact fails', async () => {
    const m = (await (await h.call('GET', '/firmware/esp32-s3/v1.0.0')).json()) as {
      manifest: string;
      signature: string;
      key_id: string;
      sha256: string;
    };
    const keys = (await (await h.call('GET', '/keys')).json()) as { keys: { key_id: string; public_key_pem: string; active: boolean }[] };
    const key = keys.keys.find((k) => k.key_id === m.key_id);
    expect(key?.active).toBe(true);
    const pub = createPublicKey(key!.public_key_pem);
    const sig = Buffer.from(m.signature, 'base64');
    expect(verify(null, Buffer.from(m.manifest), pub, sig)).toBe(true);
    const tamperedManifest = m.manifest.replace('"size":4096', '"size":4097');
    expect(tamperedManifest).not.toBe(m.manifest);
    expect(verify(null, Buffer.from(tamperedManifest), pub, sig)).toBe(false);

    // An independent implementation: OpenSSL's Ed25519 (pure, -rawin).
    writeFileSync(join(h.dir, 'pub.pem'), key!.public_key_pem);
    writeFileSync(join(h.dir, 'manifest.json'), m.manifest);
    writeFileSync(join(h.dir, 'tampered.json'), tamperedManifest);
    writeFileSync(join(h.dir, 'manifest.sig'), sig);
    const openssl = (file: string): string => {
      try {
        return execFileSync(
          'openssl',
          [
            'pkeyutl',
            '-verify',
            '-pubin',
            '-inkey',
            join(h.dir, 'pub.pem'),
            '-rawin',
            '-in',
            join(h.dir, file),
            '-sigfile',
            join(h.dir, 'manifest.sig'),
          ],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        );
      } catch (err) {
        return `failed: ${(err as { stdout?: string }).stdout ?? ''}`;
      }
    };
    expect(openssl('manifest.json')).toContain('Signature Verified Successfully');
    expect(openssl('tampered.json')).toMatch(/^failed/);

    // The device's second check: the artifact's digest must match the signed manifest.
    const download = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true')).arrayBuffer());
    expect(sha(download)).toBe(JSON.parse(m.manifest).sha256);
    const tampered = Buffer.from(download);
    tampered[100] = tampered[100]! ^ 0x01;
    expect(sha(tampered)).not.toBe(JSON.parse(m.manifest).sha256);
  });

  it('refuses to serve a release whose stored manifest no longer matches its signature', async () => {
    await h.publish({ device_model: 'esp32-tamper', version: 'v1.0.0' }, firmware(9));
    await h.db.pool.query(
      `UPDATE firmware_releases SET manifest = replace(manifest, '"size":4096', '"size":4000') WHERE device_model = 'esp32-tamper'`,
    );
    const res = await h.call('GET', '/firmware/esp32-tamper/v1.0.0');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'ZEN_OTA_SIGNATURE_INVALID' });
  });

  it('streams the binary for Accept: application/octet-stream and ?download=true, with ranges', async () => {
    const bin = firmware(1);
    const a = await h.call('GET', '/firmware/esp32-s3/v1.0.0', { headers: { accept: 'application/octet-stream' } });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/octet-stream');
    expect(a.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await a.arrayBuffer()).equals(bin)).toBe(true);

    const part = await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true', { headers: { range: 'bytes=4000-' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 4000-4095/4096');
    expect(Buffer.from(await part.arrayBuffer()).equals(bin.subarray(4000))).toBe(true);

    const bad = await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true', { headers: { range: 'bytes=5000-' } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */4096');

    const stale = await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true', {
      headers: { range: 'bytes=4000-', 'if-range': '"other"' },
    });
    expect(stale.status).toBe(200);
    await stale.arrayBuffer();
  });

  it('resolves latest, caches it in Redis and invalidates the cache on publish', async () => {
    const first = (await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string };
    expect(first.version).toBe('v1.0.0');
    const redis = new Redis(h.config.REDIS_URL);
    try {
      expect(await redis.exists(`${h.config.OTA_REDIS_PREFIX}latest:firmware:esp32-s3`)).toBe(1);
      const res = await h.publish({ device_model: 'esp32-s3', version: 'v1.1.0' }, firmware(2));
      expect(res.status).toBe(201);
      expect(await redis.exists(`${h.config.OTA_REDIS_PREFIX}latest:firmware:esp32-s3`)).toBe(0);
    } finally {
      await redis.quit();
    }
    const second = (await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string };
    expect(second.version).toBe('v1.1.0');
    const bin = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/latest?download=true')).arrayBuffer());
    expect(bin.equals(firmware(2))).toBe(true);
  });

  it('refuses duplicates and bad input with 4xx JSON errors', async () => {
    const dup = await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, firmware(3));
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ code: 'ZEN_CONFLICT' });
    // The losing upload left nothing behind and did not replace the published bytes.
    const bin = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true')).arrayBuffer());
    expect(bin.equals(firmware(1))).toBe(true);
    expect(readdirSync(join(h.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);

    const cases: [Record<string, string>, number][] = [
      [{ device_model: 'esp32-s3', version: '1.0.0' }, 400],
      [{ device_model: 'esp32/s3', version: 'v1.0.0' }, 400],
      [{ device_model: 'esp32-s3', version: 'v1.0.0', kind: 'bootloader' }, 400],
      [{ kind: 'model', device_model: 'esp32-s3', version: 'v1.0.0' }, 400],
      [{ version: 'v9.9.9' }, 400],
    ];
    for (const [fields, status] of cases) {
      const res = await h.publish(fields, firmware(4));
      expect([fields, res.status]).toEqual([fields, status]);
      expect(((await res.json()) as { code: string }).code).toBe('ZEN_BAD_REQUEST');
    }
    const empty = await h.publish({ device_model: 'esp32-s3', version: 'v9.9.9' }, Buffer.alloc(0));
    expect(empty.status).toBe(400);
    const noFile = await h.call('POST', '/releases', { token: h.tokens.publish, json: { device_model: 'esp32-s3', version: 'v9.9.9' } });
    expect(noFile.status).toBe(400);
    const badJson = await h.call('POST', '/rollouts', {
      token: h.tokens.all,
      body: '{"nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 'ZEN_BAD_REQUEST' });
    expect(readdirSync(join(h.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);

    for (const path of ['/firmware/esp32-s3/v7.7.7', '/firmware/nobody/latest', '/models/esp32-s3/latest', '/nowhere']) {
      const res = await h.call('GET', path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(((await res.json()) as { code: string }).code).toBe('ZEN_NOT_FOUND');
    }
    for (const path of ['/firmware/esp32-s3/not-a-version', '/firmware/bad%2Fmodel/latest']) {
      const res = await h.call('GET', path);
      expect([path, res.status]).toEqual([path, 400]);
    }
  });

  it('lists and yanks; latest falls back to the previous release', async () => {
    const list = (await (await h.call('GET', '/releases?kind=firmware&device_model=esp32-s3', { token: h.tokens.read })).json()) as {
      releases: { version: string }[];
    };
    expect(list.releases.map((r) => r.version)).toEqual(['v1.1.0', 'v1.0.0']);
    const one = await h.call('GET', '/releases/firmware/esp32-s3/v1.1.0', { token: h.tokens.read });
    expect(one.status).toBe(200);

    const yank = await h.call('POST', '/releases/firmware/esp32-s3/v1.1.0/yank', {
      token: h.tokens.rollback,
      json: { reason: 'boot loop' },
    });
    expect(yank.status).toBe(200);
    expect(await yank.json()).toMatchObject({ version: 'v1.1.0', yank_reason: 'boot loop' });
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe('v1.0.0');
    const yanked = await h.call('GET', '/firmware/esp32-s3/v1.1.0');
    expect(yanked.status).toBe(409);
    expect(await yanked.json()).toMatchObject({ code: 'ZEN_OTA_RELEASE_YANKED' });
    expect((await h.call('POST', '/releases/firmware/esp32-s3/v1.1.0/yank', { token: h.tokens.rollback })).status).toBe(409);
    expect((await h.call('POST', '/releases/firmware/esp32-s3/v8.8.8/yank', { token: h.tokens.rollback })).status).toBe(404);
    const visible = (await (
      await h.call('GET', '/releases?device_model=esp32-s3&include_yanked=false', { token: h.tokens.read })
    ).json()) as { releases: { version: string }[] };
    expect(visible.releases.map((r) => r.version)).toEqual(['v1.0.0']);
  });

  it('serves ML models under /models the same way', async () => {
    const blob = Buffer.from('tflite model bytes');
    const res = await h.publish({ kind: 'model', device_model: 'esp32-cam', version: 'm-20251130-abc1234' }, blob);
    expect(res.status).toBe(201);
    const meta = (await (await h.call('GET', '/models/esp32-cam/latest')).json()) as { version: string; kind: string; binary_url: string };
    expect(meta).toMatchObject({ version: 'm-20251130-abc1234', kind: 'model' });
    expect(meta.binary_url).toContain('/models/esp32-cam/m-20251130-abc1234?download=true');
    const bytes = Buffer.from(await (await h.call('GET', '/models/esp32-cam/m-20251130-abc1234?download=true')).arrayBuffer());
    expect(bytes.equals(blob)).toBe(true);
    expect((await h.call('GET', '/firmware/esp32-cam/latest')).status).toBe(404);
  });

  it('a publish killed between storing and committing leaves no visible release', async () => {
    const before = await h.call('GET', '/firmware/esp32-s3/latest');
    const latestBefore = ((await before.json()) as { version: string }).version;
    const staged = await h.ota.parts.releases.stage(Readable.from([firmware(7)]));
    let reached = false;
    const publishing = h.ota.parts.releases.publish(
      { kind: 'firmware', deviceModel: 'esp32-s3', version: 'v2.0.0', staged },
      {
        // The process "dies" here: the artifact is under its final name, the row is inserted but
        // not committed. Killing the database session is what a process crash does to it.
        beforeCommit: async ({ backendPid }) => {
          reached = true;
          await h.db.pool.query('SELECT pg_terminate_backend($1)', [backendPid]);
          await new Promise((r) => setTimeout(r, 50));
        },
      },
    );
    await expect(publishing).rejects.toBeDefined();
    expect(reached).toBe(true);
    const row = await h.db.pool.query(`SELECT 1 FROM firmware_releases WHERE device_model = 'esp32-s3' AND version = 'v2.0.0'`);
    expect(row.rows).toHaveLength(0);
    expect((await h.call('GET', '/firmware/esp32-s3/v2.0.0')).status).toBe(404);
    expect((await h.call('GET', '/firmware/esp32-s3/v2.0.0?download=true')).status).toBe(404);
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe(latestBefore);
    // Nothing half-written stays behind, and the version can be published afterwards.
    expect(existsSync(join(h.config.OTA_STORAGE_DIR, 'firmware/esp32-s3/v2.0.0.bin'))).toBe(false);
    const again = await h.publish({ device_model: 'esp32-s3', version: 'v2.0.0' }, firmware(8));
    expect(again.status).toBe(201);
  });

  it('an artifact left under its final name by a crash before COMMIT is never served and is replaced by the next publish', async () => {
    // What a process killed between rename and COMMIT leaves: the bytes, but no row.
    const orphan = join(h.config.OTA_STORAGE_DIR, 'firmware/esp32-s3/v3.0.0.bin');
    mkdirSync(dirname(orphan), { recursive: true });
    writeFileSync(orphan, Buffer.from('half of an old attempt'));
    expect((await h.call('GET', '/firmware/esp32-s3/v3.0.0')).status).toBe(404);
    expect((await h.call('GET', '/firmware/esp32-s3/v3.0.0?download=true')).status).toBe(404);
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).not.toBe('v3.0.0');
    const res = await h.publish({ device_model: 'esp32-s3', version: 'v3.0.0' }, firmware(3));
    expect(res.status).toBe(201);
    const bytes = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/v3.0.0?download=true')).arrayBuffer());
    expect(bytes.equals(firmware(3))).toBe(true);
  });

  it('two concurrent publishes of one version: exactly one wins, and its bytes are served', async () => {
    const a = firmware(0xa1, 200_000);
    const b = firmware(0xb2, 200_000);
    const [ra, rb] = await Promise.all([
      h.publish({ device_model: 'esp32-race', version: 'v1.0.0' }, a),
      h.publish({ device_model: 'esp32-race', version: 'v1.0.0' }, b),
    ]);
    expect([ra.status, rb.status].sort()).toEqual([201, 409]);
    const winner = ra.status === 201 ? a : b;
    const meta = (await (await h.call('GET', '/firmware/esp32-race/v1.0.0')).json()) as { sha256: string };
    expect(meta.sha256).toBe(sha(winner));
    const served = Buffer.from(await (await h.call('GET', '/firmware/esp32-race/v1.0.0?download=true')).arrayBuffer());
    expect(sha(served)).toBe(sha(winner));
    expect(readdirSync(join(h.config.OTA_STORAGE_DIR, '.staging'))).toEqual([]);
  });

  it('a publisher process killed (SIGKILL) between storing and committing leaves no visible release', async () => {
    const latestBefore = ((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version;
    const file = join(h.dir, 'killed.bin');
    writeFileSync(file, firmware(0x4b));
    const child = spawnSync(
      process.execPath,
      [join(__dirname, 'fixtures/run-ts.cjs'), join(__dirname, 'fixtures/publish-and-die.ts'), 'esp32-s3', 'v4.0.0', file],
      {
        env: { ...process.env, ...h.env, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.stdout).toContain('stored, not committed');
    expect(child.signal).toBe('SIGKILL');
    // The artifact reached its final name; the row never committed.
    expect(existsSync(join(h.config.OTA_STORAGE_DIR, 'firmware/esp32-s3/v4.0.0.bin'))).toBe(true);
    const row = await h.db.pool.query(`SELECT 1 FROM firmware_releases WHERE device_model = 'esp32-s3' AND version = 'v4.0.0'`);
    expect(row.rows).toHaveLength(0);
    expect((await h.call('GET', '/firmware/esp32-s3/v4.0.0')).status).toBe(404);
    expect((await h.call('GET', '/firmware/esp32-s3/v4.0.0?download=true')).status).toBe(404);
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe(latestBefore);
    const list = (await (await h.call('GET', '/releases?device_model=esp32-s3', { token: h.tokens.read })).json()) as {
      releases: { version: string }[];
    };
    expect(list.releases.map((r) => r.version)).not.toContain('v4.0.0');
    // The version is still free, and the next publish serves its own bytes.
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v4.0.0' }, firmware(0x4c))).status).toBe(201);
    const served = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/v4.0.0?download=true')).arrayBuffer());
    expect(served.equals(firmware(0x4c))).toBe(true);
  });
});
