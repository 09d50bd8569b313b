import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildRelease, createTestKey, imageOf } from '../../test/fakes';
import { createMemorySlotStore } from '../adapters/memory-slot-store';
import { hexEncode, utf8Encode } from '../domain/bytes';
import { createOtaClient, type OtaReport } from '../domain/ota-client';
import { createSoftwareCrypto } from '../domain/software-crypto';
import { createFetchHttpPort } from './fetch-http';
import { createNodeClock, createNodeCrypto, createNodeRandom } from './node-ports';

describe('node crypto port agrees with the portable one', () => {
  const node = createNodeCrypto();
  const portable = createSoftwareCrypto();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const message = utf8Encode('{"a":1}');
  const good = new Uint8Array(sign(null, message, privateKey));
  const bad = good.slice();
  bad[10] = bad[10]! ^ 1;

  it.each([
    ['a valid signature', good, true],
    ['a tampered signature', bad, false],
  ])('%s', async (_name, signature, expected) => {
    expect(await node.verifyEd25519(raw, message, signature)).toBe(expected);
    expect(await portable.verifyEd25519(raw, message, signature)).toBe(expected);
  });

  it('hashes the same', () => {
    const data = imageOf(5_000);
    const a = node.createSha256();
    const b = portable.createSha256();
    a.update(data.subarray(0, 777));
    a.update(data.subarray(777));
    b.update(data);
    expect(hexEncode(a.digest())).toBe(hexEncode(b.digest()));
  });

  it('draws distinct random bytes', () => {
    const random = createNodeRandom();
    expect(hexEncode(random.bytes(16))).not.toBe(hexEncode(random.bytes(16)));
  });
});

describe('fetch HTTP port against a real HTTP server with Range', () => {
  const key = createTestKey('k1');
  const release = buildRelease({ key, image: imageOf(200_000, 7) });
  let server: Server;
  let baseUrl: string;
  let cutNextAt: number | undefined;
  const ranges: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/firmware/esp32-s3/latest')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(release.meta));
        return;
      }
      ranges.push(req.headers.range);
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const body = release.image.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, {
        'content-length': String(body.length),
        ...(start > 0 ? { 'content-range': `bytes ${start}-${release.image.length - 1}/${release.image.length}` } : {}),
      });
      if (cutNextAt !== undefined) {
        // Send part of the body, then drop the connection: a transfer broken mid-way.
        const cut = cutNextAt;
        cutNextAt = undefined;
        res.write(body.subarray(0, cut), () => res.destroy());
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('streams a body and reports status and lower-case headers', async () => {
    const http = createFetchHttpPort();
    const chunks: Uint8Array[] = [];
    const result = await http.get({ url: `${baseUrl}/bin`, headers: { range: 'bytes=1000-' } }, { onChunk: (c) => void chunks.push(c) });
    expect(result.status).toBe(206);
    expect(result.headers['content-range']).toBe(`bytes 1000-199999/200000`);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(199_000);
  });

  it('installs a release over real HTTP, resuming a dropped transfer with Range', async () => {
    ranges.length = 0;
    cutNextAt = 65_536;
    const slots = createMemorySlotStore({ capacityBytes: 256 * 1024, initialVersion: 'v1.0.0' });
    const reports: OtaReport[] = [];
    const client = createOtaClient(
      { deviceId: 'esp32-s3-001', deviceModel: 'esp32-s3' },
      {
        kind: 'firmware',
        baseUrl,
        latestPath: '/firmware/{model}/latest',
        trustedKeys: { k1: key.publicKeyBase64 },
        maxDownloadAttempts: 3,
        downloadRetryDelayMs: 10,
      },
      {
        http: createFetchHttpPort(),
        clock: createNodeClock(),
        crypto: createNodeCrypto(),
        slots,
        report: (r) => reports.push(r),
        currentVersion: () => slots.bootInfo().version,
        selfTest: () => undefined,
      },
    );
    expect(await client.check()).toEqual({ kind: 'activated', version: 'v1.1.0' });
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
    expect(createHash('sha256').update(slots.activeBytes()).digest('hex')).toBe(release.meta.sha256);
    expect(reports.map((r) => r.state)).toEqual(['downloading']);
  });
});
