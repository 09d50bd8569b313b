import type { LatestContext } from './release';
import { isTargeted, type DeviceFacts } from './rollout';
import type { ReleaseKind } from './versions';

/** What changed a device's offer, carried in the notification (`reason`). */
export type NotificationReason =
  | 'published'
  | 'yanked'
  | 'rollout_created'
  | 'rollout_advanced'
  | 'rollout_completed'
  | 'rollout_paused'
  | 'rollout_resumed'
  | 'rollout_aborted'
  | 'key_revoked'
  | 'tags_changed';

/** The release a device is offered of one kind: what `latest` answers it. */
export interface Offer {
  readonly version: string | null;
  /** The open rollout that offers it; null for the general release (or none). */
  readonly rolloutId: string | null;
}

/** One platform → device notification (schemas/avro/ota-notifications.avsc, without the envelope). */
export interface OtaNotice {
  readonly deviceId: string;
  readonly deviceModel: string;
  readonly kind: ReleaseKind;
  readonly version: string | null;
  readonly rolloutId: string | null;
  readonly reason: NotificationReason;
}

/**
 * The release `latest` answers a device, and the rollout behind it: the same rule as
 * `resolveLatest` (first open rollout that targets the device, else the general release).
 */
export function offerOf(context: LatestContext, device: DeviceFacts): Offer {
  for (const { rollout, release } of context.rollouts) {
    if (isTargeted(rollout, device)) return { version: release.version, rolloutId: rollout.id };
  }
  return { version: context.general?.version ?? null, rolloutId: null };
}

/**
 * The devices to notify after a change of one (kind, model): those whose offered version
 * differs between the context before and after it. Comparing offers rather than reasoning
 * about each action covers them all with one rule: a publish without a rollout reaches the
 * whole model (except devices held by an open rollout), a new or advanced stage reaches only
 * the devices it adds, completing a rollout reaches the rest of the model, and an abort, a
 * yank or a key revocation (the rollbacks) reaches the devices that are offered the previous
 * release again. A device whose offer did not move (a pause, a resume, a stage already
 * including it) is not notified.
 *
 * `factsBefore` holds the facts of devices the change itself edits (a tag change moves a device
 * into or out of a tag cohort, with the context unchanged); every other device is judged by its
 * current facts both times.
 */
export function planNotifications(
  kind: ReleaseKind,
  before: LatestContext,
  after: LatestContext,
  devices: readonly DeviceFacts[],
  reason: NotificationReason,
  factsBefore?: ReadonlyMap<string, DeviceFacts>,
): OtaNotice[] {
  const out: OtaNotice[] = [];
  for (const device of devices) {
    const now = offerOf(after, device);
    if (offerOf(before, factsBefore?.get(device.id) ?? device).version === now.version) continue;
    out.push({ deviceId: device.id, deviceModel: device.model, kind, version: now.version, rolloutId: now.rolloutId, reason });
  }
  return out;
}

/**
 * Sorts (kind, model) pairs into the order a change that locks several of them takes their
 * locks (a key revocation, a tag change): one global order leaves no cycle of waits.
 */
export const offerLockOrder = <T extends { readonly kind: ReleaseKind; readonly deviceModel: string }>(pairs: readonly T[]): T[] =>
  [...pairs].sort((a, b) =>
    a.kind === b.kind ? (a.deviceModel < b.deviceModel ? -1 : a.deviceModel > b.deviceModel ? 1 : 0) : a.kind < b.kind ? -1 : 1,
  );
