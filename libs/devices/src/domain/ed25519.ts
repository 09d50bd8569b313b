import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * A key id derived from the public key itself (first 16 hex digits of the sha256 of its raw
 * 32 bytes), so the same key always has the same id on every machine and no registry of ids is
 * needed to match a signature with its key.
 */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const raw = rawPublicKey(pub);
  return createHash('sha256').update(raw).digest('hex').slice(0, 16);
}

/** The 32 raw bytes of an ed25519 public key (the last 32 bytes of its SPKI DER form). */
export function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return der.subarray(der.length - 32);
}

/** True for an ed25519 key object. */
export const isEd25519 = (key: KeyObject): boolean => key.asymmetricKeyType === 'ed25519';

/** Ed25519 signature (RFC 8032, pure: no pre-hash) of `data`. */
export const signEd25519 = (privateKey: KeyObject, data: Buffer | string): Buffer => sign(null, Buffer.from(data), privateKey);

/** Checks an ed25519 signature; never throws for malformed input, answers false. */
export function verifyEd25519(publicKey: KeyObject, data: Buffer | string, signature: Buffer): boolean {
  try {
    return signature.length === 64 && verify(null, Buffer.from(data), publicKey, signature);
  } catch {
    return false;
  }
}
