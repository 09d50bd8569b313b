import { ZenthosError } from '@zenthos/core';

/** What a release carries: device firmware or an ML model for it. */
export type ReleaseKind = 'firmware' | 'model';

/** Both kinds, for validation and iteration. */
export const RELEASE_KINDS: readonly ReleaseKind[] = ['firmware', 'model'];

// Spec §15: firmware `vMAJOR.MINOR.PATCH`, models `m-YYYYMMDD-<sha>`.
const FIRMWARE_VERSION = /^v(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;
const MODEL_VERSION = /^m-(\d{4})(\d{2})(\d{2})-([0-9a-f]{7,40})$/;

/** True when `version` is well formed for `kind`. */
export function isValidVersion(kind: ReleaseKind, version: string): boolean {
  if (kind === 'firmware') return FIRMWARE_VERSION.test(version);
  const m = MODEL_VERSION.exec(version);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Throws ZEN_BAD_REQUEST unless `version` is well formed for `kind`. */
export function requireValidVersion(kind: ReleaseKind, version: string): void {
  if (!isValidVersion(kind, version)) {
    const shape = kind === 'firmware' ? 'vMAJOR.MINOR.PATCH' : 'm-YYYYMMDD-<sha>';
    throw new ZenthosError('ZEN_BAD_REQUEST', `${kind} version ${JSON.stringify(version)} is not ${shape}`);
  }
}

/** Parses a kind from user input. */
export function parseKind(value: unknown): ReleaseKind {
  if (value === 'firmware' || value === 'model') return value;
  throw new ZenthosError('ZEN_BAD_REQUEST', 'kind must be firmware or model');
}

/** The kind a version string belongs to, if any (GitHub assets carry no kind). */
export function kindOfVersion(version: string): ReleaseKind | undefined {
  return RELEASE_KINDS.find((k) => isValidVersion(k, version));
}
