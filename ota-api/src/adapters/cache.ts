import { Redis } from 'ioredis';
import { restoreFastStringPrototype } from '@zenthos/core';
import type { LatestContext } from '../domain/release';
import type { ReleaseKind } from '../domain/versions';

// ioredis subclasses String: see restoreFastStringPrototype.
restoreFastStringPrototype();

/** Last OTA report of a device (spec §11: per-device state in Redis with a TTL). */
export interface DeviceOtaState {
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly state: string;
  readonly rollout_id: string | null;
  readonly reported_at: string;
  /** Failed or rolled-back attempts at this version in a row (spec §11 retry counter). */
  readonly failed_attempts: number;
}

/**
 * The OTA cache: `latest` contexts per (kind, model), invalidated on every change, and the
 * last report per device. Always a cache: a failing backend is counted and the caller goes to
 * Postgres, never to an error.
 */
export interface OtaCache {
  getLatest(kind: ReleaseKind, model: string): Promise<LatestContext | undefined>;
  setLatest(kind: ReleaseKind, model: string, context: LatestContext): Promise<void>;
  invalidateLatest(kind: ReleaseKind, model: string): Promise<void>;
  /** Drops every `latest` context (signing key revoked). */
  invalidateAllLatest(): Promise<void>;
  setDeviceState(deviceId: string, state: DeviceOtaState): Promise<void>;
  getDeviceState(deviceId: string): Promise<DeviceOtaState | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link createRedisCache}. */
export interface RedisCacheOptions {
  readonly url: string;
  /** Key prefix; tests use a random one. */
  readonly prefix: string;
  /** Safety net for a lost invalidation. */
  readonly latestTtlS: number;
  readonly deviceStateTtlS: number;
  /** Called for every swallowed backend error, to count it. */
  readonly onError: (err: unknown) => void;
}

/** The Redis-backed cache. */
export function createRedisCache(opts: RedisCacheOptions): OtaCache {
  const redis = new Redis(opts.url, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 });
  redis.on('error', () => undefined); // surfaced per command below
  const latestKey = (kind: ReleaseKind, model: string): string => `${opts.prefix}latest:${kind}:${model}`;
  const guard = async <T>(fn: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      opts.onError(err);
      return fallback;
    }
  };
  return {
    getLatest: (kind, model) =>
      guard(async () => {
        const text = await redis.get(latestKey(kind, model));
        return text ? (JSON.parse(text) as LatestContext) : undefined;
      }, undefined),
    setLatest: (kind, model, context) =>
      guard(async () => void (await redis.set(latestKey(kind, model), JSON.stringify(context), 'EX', opts.latestTtlS)), undefined),
    invalidateLatest: (kind, model) => guard(async () => void (await redis.del(latestKey(kind, model))), undefined),
    invalidateAllLatest: () =>
      guard(async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${opts.prefix}latest:*`, 'COUNT', 500);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      }, undefined),
    setDeviceState: (deviceId, state) =>
      guard(
        async () => void (await redis.set(`${opts.prefix}device:${deviceId}`, JSON.stringify(state), 'EX', opts.deviceStateTtlS)),
        undefined,
      ),
    getDeviceState: (deviceId) =>
      guard(async () => {
        const text = await redis.get(`${opts.prefix}device:${deviceId}`);
        return text ? (JSON.parse(text) as DeviceOtaState) : undefined;
      }, undefined),
    ping: async () => void (await redis.ping()),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** No cache at all (OTA_CACHE=none): every lookup goes to Postgres. */
export function createNoCache(): OtaCache {
  return {
    getLatest: async () => undefined,
    setLatest: async () => undefined,
    invalidateLatest: async () => undefined,
    invalidateAllLatest: async () => undefined,
    setDeviceState: async () => undefined,
    getDeviceState: async () => undefined,
    ping: async () => undefined,
    close: async () => undefined,
  };
}
