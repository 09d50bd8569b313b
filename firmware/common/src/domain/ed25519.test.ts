import { generateKeyPairSync, sign } from 'node:crypto';
import { utf8Encode } from './bytes';
import { ed25519Verify } from './ed25519';

const rawPublicKey = (key: ReturnType<typeof generateKeyPairSync>['publicKey']): Uint8Array =>
  new Uint8Array(key.export({ format: 'der', type: 'spki' }).subarray(12));

describe('ed25519Verify against node:crypto signatures', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const message = utf8Encode('{"device_model":"esp32-s3","kind":"firmware","version":"v1.2.3"}');
  const signature = new Uint8Array(sign(null, message, privateKey));
  const pub = rawPublicKey(publicKey);

  const flip = (bytes: Uint8Array, index: number): Uint8Array => {
    const copy = bytes.slice();
    copy[index] = copy[index]! ^ 0x01;
    return copy;
  };

  it.each([
    ['a valid signature', pub, message, signature, true],
    ['a tampered message', pub, flip(message, 5), signature, false],
    ['a tampered R', pub, message, flip(signature, 3), false],
    ['a tampered S', pub, message, flip(signature, 40), false],
    ['another key', rawPublicKey(other.publicKey), message, signature, false],
    ['a short signature', pub, message, signature.subarray(0, 63), false],
    ['an empty message signed by node', pub, new Uint8Array(0), new Uint8Array(sign(null, new Uint8Array(0), privateKey)), true],
  ])('%s', (_name, key, msg, sig, expected) => {
    expect(ed25519Verify(key, msg, sig)).toBe(expected);
  });

  it('rejects S >= L (malleability, RFC 8032 §5.1.7)', () => {
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
    let t = s + L;
    const bad = signature.slice();
    for (let i = 32; i < 64; i++, t >>= 8n) bad[i] = Number(t & 0xffn);
    expect(ed25519Verify(pub, message, bad)).toBe(false);
  });

  it('passes RFC 8032 §7.1 test vector 2', () => {
    const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
    const key = hex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    const sig = hex(
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    );
    expect(ed25519Verify(key, hex('72'), sig)).toBe(true);
    expect(ed25519Verify(key, hex('73'), sig)).toBe(false);
  });
});
