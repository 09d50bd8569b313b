import type { KeyObject } from 'node:crypto';
import { signEd25519, verifyEd25519 } from '@zenthos/devices';
import type { ReleaseKind } from './versions';

/** The facts a device checks before flashing, all covered by one signature. */
export interface Manifest {
  readonly kind: ReleaseKind;
  readonly device_model: string;
  readonly version: string;
  readonly size: number;
  readonly sha256: string;
  readonly key_id: string;
  /** ISO 8601 UTC. */
  readonly created_at: string;
  /** ISO 8601 UTC; a device refuses an expired manifest (replay of an old, vulnerable image). */
  readonly expires_at: string;
}

const FIELDS = ['created_at', 'device_model', 'expires_at', 'key_id', 'kind', 'sha256', 'size', 'version'] as const;

/**
 * The canonical bytes of a manifest: JSON with keys in lexicographic order, no whitespace,
 * only the known fields (the same rule as RFC 8785 for this flat, ASCII-only shape). A device
 * verifies these exact bytes, so they are stored verbatim, never re-serialised.
 */
export function canonicalManifest(m: Manifest): string {
  const ordered: Record<string, unknown> = {};
  for (const f of FIELDS) ordered[f] = m[f];
  return JSON.stringify(ordered);
}

/** Signs the canonical manifest; the answer is the base64 ed25519 signature. */
export function signManifest(canonical: string, privateKey: KeyObject): string {
  return signEd25519(privateKey, Buffer.from(canonical, 'utf8')).toString('base64');
}

/** True when `signature` (base64) is `publicKey`'s signature of exactly `canonical`. */
export function verifyManifest(canonical: string, signature: string, publicKey: KeyObject): boolean {
  return verifyEd25519(publicKey, Buffer.from(canonical, 'utf8'), Buffer.from(signature, 'base64'));
}

/** What a device does before flashing: signature, then the artifact's digest and size against the manifest. */
export function checkArtifact(canonical: string, artifactSha256: string, artifactSize: number): boolean {
  const m = JSON.parse(canonical) as Manifest;
  return m.sha256 === artifactSha256 && m.size === artifactSize;
}
