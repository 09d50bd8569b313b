import { Redis } from 'ioredis';
import { ZenthosError } from '@zenthos/core';
import type { DedupeStore } from '../domain/dedupe';

/** Settings of {@link createRedisDedupeStore}. */
export interface RedisDedupeStoreSettings {
  readonly url: string;
  /** Key prefix, e.g. `zenthos:dedupe:telemetry:`; the topic prefix keeps test runs apart. */
  readonly keyPrefix: string;
  /** Largest number of claims sent in one pipeline. */
  readonly maxBatch?: number;
}

/** A {@link DedupeStore} that can be closed. */
export interface ClosableDedupeStore extends DedupeStore {
  ping(): Promise<void>;
  close(): Promise<void>;
}

// SET NX PX writes the mark with its window in one atomic step (Redis SET, NX/PX options); when
// it exists already, GET tells whose it is. One round trip per claim, and marks expire by TTL
// on their own, so the state survives restarts and rebalances without any cleanup job.
const CLAIM_SCRIPT = `
local ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
if ok then return 1 end
local owner = redis.call('GET', KEYS[1])
if owner == ARGV[1] then return 1 end
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/**
 * Dedupe marks in Redis, shared by every instance of a processor. Claims made in the same tick
 * go out in one pipeline (one round trip for a whole poll batch).
 */
export function createRedisDedupeStore(settings: RedisDedupeStoreSettings): ClosableDedupeStore {
  const redis = new Redis(settings.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', () => undefined); // surfaced through rejected commands below
  redis.defineCommand('zenthosClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  const maxBatch = settings.maxBatch ?? 1000;
  type Waiter = { key: string; owner: string; windowMs: number; resolve(v: { firstSeen: boolean }): void; reject(e: unknown): void };
  let queue: Waiter[] = [];
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    const pipeline = redis.pipeline();
    for (const w of batch) (pipeline as unknown as { zenthosClaim(...a: unknown[]): void }).zenthosClaim(w.key, w.owner, w.windowMs);
    try {
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((w, i) => {
        const [err, value] = results[i] ?? [new Error('no reply')];
        if (err) w.reject(new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `redis: ${err.message}`, true, { cause: err }));
        else w.resolve({ firstSeen: value === 1 });
      });
    } catch (err) {
      const e = new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `redis: ${(err as Error).message}`, true, { cause: err });
      for (const w of batch) w.reject(e);
    }
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  };

  return {
    claim: (messageId, owner, windowMs) =>
      new Promise((resolve, reject) => {
        queue.push({ key: `${settings.keyPrefix}${messageId}`, owner, windowMs, resolve, reject });
        schedule();
      }),
    async ping() {
      try {
        await redis.ping();
      } catch (err) {
        throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `redis: ${(err as Error).message}`, true, { cause: err });
      }
    },
    async close() {
      queue = [];
      redis.disconnect();
    },
  };
}
