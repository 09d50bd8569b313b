import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubSignature } from '../src/domain/webhook-signature';
import { startHarness, type Harness } from './harness';

// GitHub's documented test vector ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const VECTOR_BODY = 'Hello, World!';
const VECTOR_SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('GitHub release webhook', () => {
  let h: Harness;
  let assets: Server;
  let assetBase: string;
  const files = new Map<string, Buffer>();
  const downloads = new Map<string, number>();
  const ci = generateKeyPairSync('ed25519');
  const rogue = generateKeyPairSync('ed25519');
  let delivery = 0;

  const deliver = (payload: unknown, opts: { event?: string; id?: string; signature?: string | null; body?: string } = {}) => {
    const body = opts.body ?? JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': opts.event ?? 'release',
      'x-github-delivery': opts.id ?? `delivery-${++delivery}`,
    };
    const signature = opts.signature === undefined ? githubSignature(SECRET, body) : opts.signature;
    if (signature !== null) headers['x-hub-signature-256'] = signature;
    return h.call('POST', '/hooks/github-release', { headers, body });
  };
  const release = (names: string[]) => ({
    action: 'published',
    release: { tag_name: 'v1', assets: names.map((name) => ({ name, browser_download_url: `${assetBase}/${name}` })) },
  });
  const host = (name: string, bytes: Buffer | string): void => {
    files.set(name, Buffer.from(bytes));
  };
  const outcome = async (id: string) => {
    await h.ota.parts.webhook.idle();
    return (await (await h.call('GET', `/hooks/github-release/deliveries/${id}`, { token: h.tokens.read })).json()) as {
      status: string;
      detail: { published: string[]; skipped: string[]; errors: { asset: string; code: string }[] };
    };
  };

  beforeAll(async () => {
    assets = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice(1));
      downloads.set(name, (downloads.get(name) ?? 0) + 1);
      const file = files.get(name);
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(file);
    });
    await new Promise<void>((resolve) => assets.listen(0, '127.0.0.1', resolve));
    assetBase = `http://127.0.0.1:${(assets.address() as AddressInfo).port}`;
    h = await startHarness({ GITHUB_WEBHOOK_SECRET: SECRET });
    await h.ota.parts.keyring.addPublicKey(ci.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  });
  afterAll(async () => {
    await h?.close();
    await new Promise((resolve) => assets.close(resolve));
  });

  it("accepts GitHub's documented HMAC test vector", async () => {
    const res = await deliver(undefined, { event: 'ping', body: VECTOR_BODY, signature: VECTOR_SIGNATURE });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ignored' });
  });

  const flip = (sig: string): string => sig.slice(0, -1) + (sig.endsWith('7') ? '6' : '7');
  it.each([
    ['a flipped bit in the signature', flip(VECTOR_SIGNATURE), VECTOR_BODY],
    ['a flipped bit in the body', VECTOR_SIGNATURE, 'Hello, World"'],
    ['a missing header', null, VECTOR_BODY],
    ['a sha1-only header', 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59', VECTOR_BODY],
    ['a wrong-length signature', VECTOR_SIGNATURE.slice(0, -2), VECTOR_BODY],
    ['an over-long signature', `${VECTOR_SIGNATURE}ab`, VECTOR_BODY],
  ])('answers 401 for %s', async (_why, signature, body) => {
    const res = await deliver(undefined, { event: 'ping', body, signature });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'ZEN_WEBHOOK_SIGNATURE_INVALID' });
  });

  it('needs the delivery and event headers and a JSON release body', async () => {
    const body = JSON.stringify(release([]));
    const noId = await h.call('POST', '/hooks/github-release', {
      headers: { 'x-hub-signature-256': githubSignature(SECRET, body), 'x-github-event': 'release' },
      body,
    });
    expect(noId.status).toBe(400);
    expect((await deliver(undefined, { body: 'not json' })).status).toBe(400);
  });

  it('publishes a release: verifies .sha256 and .sig, answers at once, records the outcome; a replay is processed once', async () => {
    const bin = Buffer.alloc(50_000, 0xab);
    host('esp32-s3-v3.1.0.bin', bin);
    host('esp32-s3-v3.1.0.bin.sha256', `${createHash('sha256').update(bin).digest('hex')}  esp32-s3-v3.1.0.bin\n`);
    host('esp32-s3-v3.1.0.bin.sig', sign(null, bin, ci.privateKey));
    const payload = release(['esp32-s3-v3.1.0.bin', 'esp32-s3-v3.1.0.bin.sha256', 'esp32-s3-v3.1.0.bin.sig', 'notes.txt']);

    const res = await deliver(payload, { id: 'rel-1' });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ delivery_id: 'rel-1', status: 'processing' });
    const replay = await deliver(payload, { id: 'rel-1' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ delivery_id: 'rel-1', status: 'duplicate' });

    const done = await outcome('rel-1');
    expect(done.status).toBe('done');
    expect(done.detail.published).toEqual(['firmware esp32-s3 v3.1.0']);
    expect(downloads.get('esp32-s3-v3.1.0.bin')).toBe(1);

    const meta = (await (await h.call('GET', '/firmware/esp32-s3/v3.1.0')).json()) as { sha256: string; size: number };
    expect(meta).toMatchObject({ size: bin.length, sha256: createHash('sha256').update(bin).digest('hex') });
    const rel = (await (await h.call('GET', '/releases/firmware/esp32-s3/v3.1.0', { token: h.tokens.read })).json()) as { source: string };
    expect(rel.source).toBe('github:rel-1');
    const bytes = Buffer.from(await (await h.call('GET', '/firmware/esp32-s3/v3.1.0?download=true')).arrayBuffer());
    expect(bytes.equals(bin)).toBe(true);

    // A new delivery of the same release skips what is already published.
    const again = await deliver(payload, { id: 'rel-1-redo' });
    expect(again.status).toBe(202);
    expect((await outcome('rel-1-redo')).detail.skipped).toEqual(['esp32-s3-v3.1.0.bin']);
  });

  it.each([
    ['a checksum that does not match', 'esp32-s3-v4.0.0.bin', { sha256: 'f'.repeat(64) }],
    ['a signature by an untrusted key', 'esp32-s3-v4.0.1.bin', { sigKey: 'rogue' }],
    ['a signature by a revoked key', 'esp32-s3-v4.0.2.bin', { sigKey: 'revoked' }],
    ['a garbled signature file', 'esp32-s3-v4.0.3.bin', { sigText: 'nonsense' }],
  ])('refuses to publish an asset with %s', async (_why, name, opts: { sha256?: string; sigKey?: string; sigText?: string }) => {
    const bin = Buffer.from(`image ${name}`);
    host(name, bin);
    const names = [name];
    if (opts.sha256) {
      host(`${name}.sha256`, opts.sha256);
      names.push(`${name}.sha256`);
    }
    if (opts.sigKey || opts.sigText) {
      let sig: Buffer | string = opts.sigText ?? '';
      if (opts.sigKey === 'rogue') sig = sign(null, bin, rogue.privateKey);
      if (opts.sigKey === 'revoked') {
        const old = generateKeyPairSync('ed25519');
        const keyId = await h.ota.parts.keyring.addPublicKey(old.publicKey.export({ type: 'spki', format: 'pem' }).toString());
        await h.ota.parts.releases.revokeKey(keyId);
        sig = sign(null, bin, old.privateKey);
      }
      host(`${name}.sig`, sig);
      names.push(`${name}.sig`);
    }
    const id = `bad-${name}`;
    expect((await deliver(release(names), { id })).status).toBe(202);
    const result = await outcome(id);
    expect(result.status).toBe('failed');
    expect(result.detail.errors).toEqual([expect.objectContaining({ asset: name, code: 'ZEN_OTA_SIGNATURE_INVALID' })]);
    const version = name.replace('esp32-s3-', '').replace('.bin', '');
    expect((await h.call('GET', `/firmware/esp32-s3/${version}`)).status).toBe(404);
  });

  it('records a failed download, lets that delivery be redelivered once fixed, and ignores other actions', async () => {
    expect((await deliver(release(['esp32-s3-v5.0.0.bin']), { id: 'missing-asset' })).status).toBe(202);
    expect((await outcome('missing-asset')).status).toBe('failed');
    // GitHub's "Redeliver" repeats the id; a failed delivery is processed again.
    host('esp32-s3-v5.0.0.bin', Buffer.from('now it exists'));
    expect((await deliver(release(['esp32-s3-v5.0.0.bin']), { id: 'missing-asset' })).status).toBe(202);
    expect((await outcome('missing-asset')).status).toBe('done');
    expect((await h.call('GET', '/firmware/esp32-s3/v5.0.0')).status).toBe(200);
    // Once done, the same id is a duplicate again.
    expect(await (await deliver(release(['esp32-s3-v5.0.0.bin']), { id: 'missing-asset' })).json()).toMatchObject({ status: 'duplicate' });
    const drafted = await deliver({ ...release([]), action: 'created' }, { id: 'created' });
    expect(await drafted.json()).toEqual({ delivery_id: 'created', status: 'ignored' });
    expect((await h.call('GET', '/hooks/github-release/deliveries/unknown', { token: h.tokens.read })).status).toBe(404);
  });
});
