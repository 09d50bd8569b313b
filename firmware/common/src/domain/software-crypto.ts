import { ed25519Verify } from './ed25519';
import type { CryptoPort } from './ports';
import { createSha256, sha512 } from './sha2';

/**
 * A {@link CryptoPort} in plain TypeScript. Platforms with native primitives pass their own
 * (`hash512` for the SHA-512 inside ed25519, `createSha256` for the image hash).
 */
export const createSoftwareCrypto = (
  native: { createSha256?: CryptoPort['createSha256']; hash512?: (data: Uint8Array) => Uint8Array } = {},
): CryptoPort => ({
  createSha256: native.createSha256 ?? createSha256,
  verifyEd25519: (publicKey, message, signature) => ed25519Verify(publicKey, message, signature, native.hash512 ?? sha512),
});
