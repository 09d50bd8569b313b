import { parseSha256File, parseSignatureFile, planReleaseAssets } from './github-release';

const asset = (name: string) => ({ name, browser_download_url: `https://example.test/dl/${name}` });

describe('planReleaseAssets', () => {
  it('pairs binaries with their checksum and signature assets', () => {
    const plan = planReleaseAssets({
      release: {
        assets: [
          asset('esp32-s3-v1.2.3.bin'),
          asset('esp32-s3-v1.2.3.bin.sha256'),
          asset('esp32-s3-v1.2.3.bin.sig'),
          asset('esp32-cam-m-20251130-abc1234.tflite'),
          asset('README.md'),
          asset('esp32-s3-v1.2.bin'),
          asset('esp32-s3-v1.2.3.tflite'),
          asset('bad/model-v1.0.0.bin'),
        ],
      },
    });
    expect(plan).toEqual([
      {
        kind: 'firmware',
        deviceModel: 'esp32-s3',
        version: 'v1.2.3',
        name: 'esp32-s3-v1.2.3.bin',
        url: 'https://example.test/dl/esp32-s3-v1.2.3.bin',
        sha256Url: 'https://example.test/dl/esp32-s3-v1.2.3.bin.sha256',
        sigUrl: 'https://example.test/dl/esp32-s3-v1.2.3.bin.sig',
      },
      {
        kind: 'model',
        deviceModel: 'esp32-cam',
        version: 'm-20251130-abc1234',
        name: 'esp32-cam-m-20251130-abc1234.tflite',
        url: 'https://example.test/dl/esp32-cam-m-20251130-abc1234.tflite',
      },
    ]);
  });

  it.each([[null], [{}], [{ release: { assets: 'x' } }], [{ release: { assets: [{ name: 1 }] } }]])('ignores malformed payload %j', (p) => {
    expect(planReleaseAssets(p)).toEqual([]);
  });
});

describe('checksum and signature files', () => {
  const digest = 'a'.repeat(64);
  it('reads sha256sum output and bare digests', () => {
    expect(parseSha256File(`${digest}  esp32-s3-v1.2.3.bin\n`)).toBe(digest);
    expect(parseSha256File(digest.toUpperCase())).toBe(digest);
    expect(parseSha256File('nope')).toBeUndefined();
  });
  it('reads raw and base64 signatures', () => {
    const raw = Buffer.alloc(64, 7);
    expect(parseSignatureFile(raw)).toEqual(raw);
    expect(parseSignatureFile(Buffer.from(`${raw.toString('base64')}\n`))).toEqual(raw);
    expect(parseSignatureFile(Buffer.from('short'))).toBeUndefined();
  });
});
