import pg from 'pg';
import { ZenthosError } from '@zenthos/core';
import type { Pool } from '@zenthos/db';
import type { DeviceActivity, DeviceInfo, DeviceLookup, DeviceSighting } from '../domain/enrich';

/** The channel the `devices` triggers notify (libs/db/migrations/0200_devices_change_notify.sql). */
export const DEVICES_CHANNEL = 'zenthos_devices';

/** Settings of {@link createPostgresDeviceRegistry}. */
export interface PostgresDeviceRegistrySettings {
  readonly pool: Pool;
  /** Connection string for the dedicated LISTEN connection. */
  readonly url: string;
  /** Entries kept in the cache; the oldest go first. */
  readonly cacheMax?: number;
  /** Upper bound of an entry's life, a safety net should a notification ever be missed. */
  readonly cacheTtlMs?: number;
  /** How often sightings are written back (`last_seen`, versions). */
  readonly activityFlushMs?: number;
  /** Called when a background step fails (logged and counted by the caller). */
  readonly onError?: (err: ZenthosError) => void;
}

/** The device registry as the enrich processor sees it, plus lifecycle. */
export interface PostgresDeviceRegistry extends DeviceLookup, DeviceActivity {
  /** Starts listening for changes (retrying in the background while Postgres is away); until then nothing is cached. */
  start(): Promise<void>;
  /** Writes pending sightings now. */
  flushActivity(): Promise<void>;
  /** Cache entries (for tests and metrics). */
  cacheSize(): number;
  close(): Promise<void>;
}

interface Row {
  id: string;
  model: string;
  owner: string | null;
  metadata: Record<string, unknown> | null;
  revoked: boolean;
}

const unavailable = (err: unknown): ZenthosError =>
  err instanceof ZenthosError
    ? err
    : new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `postgres: ${(err as Error).message}`, true, { cause: err });

/**
 * The `devices` table behind a cache that Postgres LISTEN/NOTIFY keeps fresh. Lookups made in
 * the same tick share one `WHERE id = ANY($1)` query; sightings are merged per device and
 * written in one `UPDATE … FROM unnest(…)` per flush. `last_seen` only moves forward, so a
 * replayed or re-processed record cannot move it back.
 */
export function createPostgresDeviceRegistry(settings: PostgresDeviceRegistrySettings): PostgresDeviceRegistry {
  const { pool } = settings;
  const cacheMax = settings.cacheMax ?? 100_000;
  const cacheTtlMs = settings.cacheTtlMs ?? 300_000;
  const cache = new Map<string, { device: DeviceInfo | undefined; expiresAtMs: number }>();
  // Bumped on every notification or lost listener: a query that started before a change must
  // not put its (possibly old) answer into the cache.
  let epoch = 0;
  let listening = false;
  let listener: pg.Client | undefined;
  let closed = false;

  let pendingIds = new Map<string, Array<{ resolve(d: DeviceInfo | undefined): void; reject(e: unknown): void }>>();
  let lookupScheduled = false;

  const runLookup = async (): Promise<void> => {
    lookupScheduled = false;
    const batch = pendingIds;
    pendingIds = new Map();
    const startEpoch = epoch;
    try {
      const { rows } = await pool.query<Row>(
        'SELECT id, model, owner, metadata, revoked_at IS NOT NULL AS revoked FROM devices WHERE id = ANY($1::text[])',
        [[...batch.keys()]],
      );
      const found = new Map(rows.map((r) => [r.id, r]));
      const cacheable = listening && epoch === startEpoch;
      for (const [id, waiters] of batch) {
        const device = found.get(id);
        if (cacheable) {
          if (cache.size >= cacheMax) cache.delete(cache.keys().next().value as string);
          cache.set(id, { device, expiresAtMs: Date.now() + cacheTtlMs });
        }
        for (const w of waiters) w.resolve(device);
      }
    } catch (err) {
      const e = unavailable(err);
      for (const waiters of batch.values()) for (const w of waiters) w.reject(e);
    }
  };

  const connectListener = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: settings.url, application_name: 'zenthos-streams-listen' });
    client.on('notification', (msg) => {
      epoch++;
      if (msg.payload) cache.delete(msg.payload);
    });
    client.on('error', (err) => {
      // Notifications may have been missed while the connection was down: forget everything.
      listening = false;
      epoch++;
      cache.clear();
      settings.onError?.(unavailable(err));
      void client.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${DEVICES_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    listener = client;
    epoch++;
    cache.clear();
    listening = true;
  };

  // Until the listener is back nothing is cached (see `listening`), so lookups stay correct.
  let reconnectTimer: NodeJS.Timeout | undefined;
  const scheduleReconnect = (): void => {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connectListener().catch((e: unknown) => {
        settings.onError?.(unavailable(e));
        scheduleReconnect();
      });
    }, 1_000);
    reconnectTimer.unref();
  };

  let sightings = new Map<string, DeviceSighting>();
  let flushing: Promise<void> | undefined;
  const flushActivity = async (): Promise<void> => {
    if (flushing) await flushing;
    if (sightings.size === 0) return;
    const batch = sightings;
    sightings = new Map();
    const list = [...batch.values()];
    flushing = (async () => {
      try {
        await pool.query(
          `UPDATE devices d SET
             last_seen = GREATEST(d.last_seen, v.seen),
             firmware_version = CASE WHEN d.last_seen IS NULL OR v.seen >= d.last_seen THEN COALESCE(v.fw, d.firmware_version) ELSE d.firmware_version END,
             model_version = CASE WHEN d.last_seen IS NULL OR v.seen >= d.last_seen THEN COALESCE(v.mv, d.model_version) ELSE d.model_version END
           FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[]) AS v(id, seen, fw, mv)
           WHERE d.id = v.id`,
          [
            list.map((s) => s.deviceId),
            list.map((s) => new Date(s.seenAtMs)),
            list.map((s) => s.firmwareVersion),
            list.map((s) => s.modelVersion),
          ],
        );
      } catch (err) {
        // Put them back (newer sightings win) so the next flush tries again.
        for (const s of list) mergeSighting(s);
        settings.onError?.(unavailable(err));
      }
    })();
    try {
      await flushing;
    } finally {
      flushing = undefined;
    }
  };
  const mergeSighting = (s: DeviceSighting): void => {
    const prev = sightings.get(s.deviceId);
    if (!prev || s.seenAtMs >= prev.seenAtMs) sightings.set(s.deviceId, s);
  };
  const timer = setInterval(() => void flushActivity(), settings.activityFlushMs ?? 1_000);
  timer.unref();

  return {
    async start() {
      // A database that is down at start-up is not fatal: lookups retry through the runner,
      // and the listener keeps trying in the background.
      await connectListener().catch((err: unknown) => {
        settings.onError?.(unavailable(err));
        scheduleReconnect();
      });
    },
    get(deviceId) {
      const hit = cache.get(deviceId);
      // A cached answer comes at once, without a promise per record.
      if (hit && hit.expiresAtMs > Date.now()) return hit.device;
      return new Promise((resolve, reject) => {
        const waiters = pendingIds.get(deviceId) ?? [];
        waiters.push({ resolve, reject });
        pendingIds.set(deviceId, waiters);
        if (!lookupScheduled) {
          lookupScheduled = true;
          setImmediate(() => void runLookup());
        }
      });
    },
    async register(device) {
      try {
        await pool.query('INSERT INTO devices (id, model) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [device.id, device.model]);
        const { rows } = await pool.query<Row>(
          'SELECT id, model, owner, metadata, revoked_at IS NOT NULL AS revoked FROM devices WHERE id = $1',
          [device.id],
        );
        const row = rows[0];
        if (!row) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `device ${device.id} vanished right after registration`, true);
        return row;
      } catch (err) {
        throw unavailable(err);
      }
    },
    record: mergeSighting,
    flushActivity,
    cacheSize: () => cache.size,
    async close() {
      closed = true;
      clearInterval(timer);
      clearTimeout(reconnectTimer);
      await flushActivity();
      await listener?.end().catch(() => undefined);
    },
  };
}
