import type { DeviceFacts, Rollout } from './rollout';
import { isTargeted } from './rollout';
import type { ReleaseKind } from './versions';

/** The metadata JSON of spec §5, plus size, key id and the signed manifest. */
export interface ReleaseView {
  readonly kind: ReleaseKind;
  readonly device_model: string;
  readonly version: string;
  readonly binary_url: string;
  readonly sha256: string;
  /** base64 ed25519 signature of `manifest`. */
  readonly signature: string;
  readonly uploaded_at: string;
  readonly size: number;
  readonly key_id: string;
  /** The canonical manifest text, byte for byte what was signed. */
  readonly manifest: string;
  readonly release_notes: string | null;
}

/** Everything `latest` depends on for one (kind, model): cached as one value. */
export interface LatestContext {
  /** The newest visible release that no unfinished rollout holds back. */
  readonly general: ReleaseView | null;
  /** Open rollouts (active or paused) with their releases. */
  readonly rollouts: readonly { readonly rollout: Rollout; readonly release: ReleaseView }[];
}

/**
 * Resolves `latest` for a device: the release of an open rollout that targets it, otherwise
 * the general latest. Unknown callers (no device) get the general latest, never a release
 * that is still being rolled out.
 */
export function resolveLatest(context: LatestContext, device: DeviceFacts | undefined): ReleaseView | null {
  if (device) {
    for (const { rollout, release } of context.rollouts) if (isTargeted(rollout, device)) return release;
  }
  return context.general;
}

/** Where an artifact lives in storage (spec §8 bucket layout). */
export const storageKeyOf = (kind: ReleaseKind, deviceModel: string, version: string): string =>
  kind === 'firmware' ? `firmware/${deviceModel}/${version}.bin` : `models/${deviceModel}/${version}.tflite`;

/** URL path prefix of a kind's device routes. */
export const routePrefixOf = (kind: ReleaseKind): string => (kind === 'firmware' ? 'firmware' : 'models');
