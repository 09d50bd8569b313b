import { Digest } from 'crypt';
import { createSoftwareCrypto } from 'zenthos/domain/software-crypto';
import type { CryptoPort } from 'zenthos/domain/ports';

const view = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

/**
 * CryptoPort with native SHA-256 / SHA-512 (`crypt` Digest) and the portable ed25519 verifier of
 * firmware/common: the Moddable SDK ships no ed25519, and one verification per update is cheap.
 */
export const createModdableCrypto = (): CryptoPort =>
  createSoftwareCrypto({
    createSha256: () => {
      const digest = new Digest('SHA256');
      return {
        update: (chunk) => digest.write(view(chunk)),
        digest: () => new Uint8Array(digest.close()),
      };
    },
    hash512: (data) => {
      const digest = new Digest('SHA512');
      digest.write(view(data));
      return new Uint8Array(digest.close());
    },
  });
