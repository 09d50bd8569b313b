import { createHash } from 'node:crypto';
import { hexEncode, utf8Encode } from './bytes';
import { createSha256, sha512 } from './sha2';

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

describe('sha256 (streaming)', () => {
  it.each([0, 1, 55, 56, 63, 64, 65, 119, 128, 1000, 70_001])('matches node:crypto for %i bytes fed in uneven chunks', (n) => {
    const data = pattern(n);
    const h = createSha256();
    for (let i = 0, step = 1; i < n; i += step, step = (step * 3) % 97 || 1) h.update(data.subarray(i, Math.min(n, i + step)));
    expect(hexEncode(h.digest())).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('gives the FIPS 180-4 value for "abc"', () => {
    const h = createSha256();
    h.update(utf8Encode('abc'));
    expect(hexEncode(h.digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('sha512', () => {
  it.each([0, 1, 111, 112, 127, 128, 129, 300, 1000])('matches node:crypto for %i bytes', (n) => {
    const data = pattern(n);
    expect(hexEncode(sha512(data))).toBe(createHash('sha512').update(data).digest('hex'));
  });
});
