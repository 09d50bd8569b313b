import { createHash, createPublicKey, verify } from 'node:crypto';
import type { ClockPort, CryptoPort, RandomPort } from '../domain/ports';

/** ClockPort over the OS clock (already synced) and `setTimeout`. */
export const createNodeClock = (): ClockPort => ({
  nowMs: () => Date.now(),
  synced: () => true,
  sync: async () => undefined,
  schedule: (delayMs, fn) => setTimeout(fn, delayMs),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

/** RandomPort over `crypto.getRandomValues`. */
export const createNodeRandom = (): RandomPort => ({
  bytes: (count) => globalThis.crypto.getRandomValues(new Uint8Array(count)),
});

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410).
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/** CryptoPort over node:crypto (OpenSSL): faster than the portable code for many simulated devices. */
export const createNodeCrypto = (): CryptoPort => ({
  createSha256: () => {
    const hash = createHash('sha256');
    return {
      update: (chunk) => void hash.update(chunk),
      digest: () => new Uint8Array(hash.digest()),
    };
  },
  verifyEd25519: (publicKey, message, signature) => {
    const key = createPublicKey({ key: Buffer.concat([spkiPrefix, publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, signature);
  },
});
