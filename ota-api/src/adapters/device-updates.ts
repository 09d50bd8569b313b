import { ZenthosError } from '@zenthos/core';
import { withTransaction, type Pool } from '@zenthos/db';
import type { DeviceRecord, DeviceRegistry } from '@zenthos/devices';
import type { ReleaseKind } from '../domain/versions';
import { offerLockOrder } from '../domain/notifications';
import { parseTags } from '../domain/rollout';
import { createNoNotifier, type ChangeNotifier } from './notifier';

/** Changes to registered devices that can move the release they are offered. */
export interface DeviceUpdates {
  /**
   * Replaces a device's tags. A tag can put the device into, or take it out of, a tag cohort of
   * an open rollout, so the device is notified (in the same transaction) when its offered
   * firmware or model moves. ZEN_NOT_FOUND for an unknown device, ZEN_BAD_REQUEST for bad tags.
   */
  setTags(deviceId: string, tags: unknown): Promise<{ readonly device: DeviceRecord; readonly notified: number }>;
}

/** Dependencies of {@link createDeviceUpdates}. */
export interface DeviceUpdatesOptions {
  readonly pool: Pool;
  readonly devices: Pick<DeviceRegistry, 'getDevice'>;
  /** Tells the device when its offer moved; none by default. */
  readonly notifier?: ChangeNotifier;
}

/** Device updates over Postgres, notifying through `notifier`. */
export function createDeviceUpdates(opts: DeviceUpdatesOptions): DeviceUpdates {
  const { pool, devices } = opts;
  const notifier = opts.notifier ?? createNoNotifier();
  return {
    async setTags(deviceId, value) {
      const tags = parseTags(value);
      const notified = await withTransaction(pool, async (client) => {
        // The model never changes, so it is read without a lock; the row lock comes with the
        // UPDATE, after the offer locks (the order every change of a model takes them in).
        const { rows } = await client.query<{ model: string }>('SELECT model FROM devices WHERE id = $1', [deviceId]);
        const model = rows[0]?.model;
        if (model === undefined) throw new ZenthosError('ZEN_NOT_FOUND', `device ${deviceId} is not registered`);
        const scopes = offerLockOrder((['firmware', 'model'] as ReleaseKind[]).map((kind) => ({ kind, deviceModel: model })));
        const pending = [];
        for (const s of scopes) pending.push(await notifier.prepare(client, s.kind, s.deviceModel, [deviceId]));
        await client.query('UPDATE devices SET tags = $2 WHERE id = $1', [deviceId, tags]);
        // A revoked device is not notified (the notifier skips it): it cannot connect to hear it.
        let count = 0;
        for (const p of pending) count += await p.send('tags_changed');
        return count;
      });
      // `latest` reads a device's tags from Postgres on each request, so no cache holds the old ones.
      const device = (await devices.getDevice(deviceId)) as DeviceRecord;
      return { device, notified };
    },
  };
}
