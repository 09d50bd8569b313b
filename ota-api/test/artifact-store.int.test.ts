import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import S3rver from 's3rver';
import type { ArtifactStore } from '../src/adapters/artifact-store';
import { createFsArtifactStore, readAll } from '../src/adapters/fs-artifact-store';
import { createS3ArtifactStore } from '../src/adapters/s3-artifact-store';
import { startHarness, type Harness } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'zenthos-store-'));
let s3server: S3rver;
let s3Endpoint = '';

beforeAll(async () => {
  // A real S3-protocol server on loopback: requests are signed (SigV4) and checked by it.
  s3server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3') });
  const { port } = await s3server.run();
  s3Endpoint = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const stores: [string, () => ArtifactStore][] = [
  ['filesystem', () => createFsArtifactStore(join(dir, 'fs'))],
  [
    'S3',
    () =>
      createS3ArtifactStore({
        endpoint: s3Endpoint,
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        bucket: 'zenthos-test',
        region: 'us-east-1',
      }),
  ],
];

// One contract, every implementation of the ArtifactStore port.
describe.each(stores)('ArtifactStore contract: %s', (_name, make) => {
  let store: ArtifactStore;
  beforeAll(() => {
    store = make();
  });
  afterAll(async () => {
    await store.close?.();
  });

  it('stages with digest and size, promotes, reads whole and ranged, removes', async () => {
    const bytes = Buffer.from('0123456789abcdef'.repeat(100));
    const staged = await store.stage(Readable.from([bytes.subarray(0, 700), bytes.subarray(700)]), 1 << 20);
    expect(staged.size).toBe(1600);
    expect(staged.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await store.stat('firmware/m/v1.0.0.bin')).toBeUndefined();
    await store.promote(staged.tempKey, 'firmware/m/v1.0.0.bin');
    expect(await store.stat(staged.tempKey)).toBeUndefined();
    expect(await store.stat('firmware/m/v1.0.0.bin')).toEqual({ size: 1600 });
    expect((await readAll(await store.read('firmware/m/v1.0.0.bin'))).equals(bytes)).toBe(true);
    expect((await readAll(await store.read('firmware/m/v1.0.0.bin', { start: 10, end: 19 }))).toString()).toBe('abcdef0123');
    await store.remove('firmware/m/v1.0.0.bin');
    expect(await store.stat('firmware/m/v1.0.0.bin')).toBeUndefined();
    await store.remove('firmware/m/v1.0.0.bin');
  });

  it('refuses an artifact over the size limit and keeps nothing of it', async () => {
    await expect(store.stage(Readable.from([Buffer.alloc(2048)]), 1024)).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
    expect(await store.sweepStaged(0)).toBe(0);
  });

  it('sweeps staged objects left by a killed publish', async () => {
    await store.stage(Readable.from([Buffer.from('orphan')]), 1024);
    expect(await store.sweepStaged(60_000)).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await store.sweepStaged(1)).toBe(1);
  });

  it('answers ZEN_NOT_FOUND for a missing object', async () => {
    await expect(store.read('firmware/m/none.bin')).rejects.toMatchObject({ code: 'ZEN_NOT_FOUND' });
  });
});

describe('the OTA API on S3 storage', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      MINIO_ENDPOINT: s3Endpoint,
      MINIO_ACCESS_KEY: 'S3RVER',
      MINIO_SECRET_KEY: 'S3RVER',
      MINIO_BUCKET: 'zenthos-ota',
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes into the bucket and serves whole and ranged downloads', async () => {
    expect(h.ota.parts.store.kind).toBe('s3');
    const bin = Buffer.alloc(3000, 5);
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, bin)).status).toBe(201);
    expect((await h.call('GET', '/ready')).status).toBe(200);
    const whole = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/latest?download=true')).arrayBuffer());
    expect(whole.equals(bin)).toBe(true);
    const part = await h.call('GET', '/firmware/esp32-s3/v1.0.0?download=true', { headers: { range: 'bytes=2990-' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toHaveLength(10);
  });
});

describe('presigned redirects', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      MINIO_ENDPOINT: s3Endpoint,
      MINIO_ACCESS_KEY: 'S3RVER',
      MINIO_SECRET_KEY: 'S3RVER',
      MINIO_BUCKET: 'zenthos-redirect',
      OTA_S3_REDIRECT: 'true',
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('redirects a download to a presigned URL that serves the artifact', async () => {
    const bin = Buffer.alloc(500, 6);
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, bin)).status).toBe(201);
    const res = await h.call('GET', '/firmware/esp32-s3/v1.0.0', { headers: { accept: 'application/octet-stream' } });
    expect(res.status).toBe(302);
    const location = res.headers.get('location') as string;
    expect(location).toContain('X-Amz-Signature=');
    const fetched = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(fetched.equals(bin)).toBe(true);
  });
});
