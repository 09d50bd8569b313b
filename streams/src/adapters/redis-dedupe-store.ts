import { Redis } from 'ioredis';
import { ZenthosError } from '@zenthos/core';
import type { DedupeStore } from '../domain/dedupe';

/** Settings of {@link createRedisDedupeStore}. */
export interface RedisDedupeStoreSettings {
  readonly url: string;
  /** Key prefix, e.g. `zenthos:dedupe:telemetry:`; the topic prefix keeps test runs apart. */
  readonly keyPrefix: string;
  /** Largest number of claims sent in one script call. */
  readonly maxBatch?: number;
}

/** A {@link DedupeStore} that can be closed. */
export interface ClosableDedupeStore extends DedupeStore {
  ping(): Promise<void>;
  close(): Promise<void>;
}

// For each key: SET NX PX writes the mark with its window in one atomic step (Redis SET, NX/PX
// options); when it exists already, GET tells whose it is. Marks expire by TTL on their own, so
// the state survives restarts and rebalances without any cleanup job. One script call claims a
// whole batch (KEYS[i] with ARGV[2i-1] = owner, ARGV[2i] = window in ms), so a poll batch costs
// one command and one reply instead of one per record; a key listed twice is claimed by the
// first and refused to the second, as two separate claims would be.
const CLAIM_MANY_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local owner = ARGV[2 * i - 1]
  local px = ARGV[2 * i]
  if redis.call('SET', key, owner, 'NX', 'PX', px) then
    out[i] = 1
  else
    local current = redis.call('GET', key)
    if current == owner then
      out[i] = 1
    elseif not current then
      redis.call('SET', key, owner, 'PX', px)
      out[i] = 1
    else
      out[i] = 0
    end
  end
end
return out`;

/**
 * Dedupe marks in Redis, shared by every instance of a processor. Claims made in the same tick
 * go out in one script call (one command and one round trip for a whole poll batch). All keys of
 * a call are touched by one script, so on a Redis Cluster they would have to share a hash slot:
 * this store expects a single Redis (or a primary with replicas).
 */
export function createRedisDedupeStore(settings: RedisDedupeStoreSettings): ClosableDedupeStore {
  const redis = new Redis(settings.url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', () => undefined); // surfaced through rejected commands below
  // No fixed numberOfKeys: each call passes its key count first (EVALSHA, falling back to EVAL).
  redis.defineCommand('zenthosClaimMany', { lua: CLAIM_MANY_SCRIPT });
  const claimMany = (redis as unknown as { zenthosClaimMany(...args: Array<string | number>): Promise<number[]> }).zenthosClaimMany.bind(
    redis,
  );
  const maxBatch = settings.maxBatch ?? 1000;
  type Waiter = { key: string; owner: string; windowMs: number; resolve(v: { firstSeen: boolean }): void; reject(e: unknown): void };
  let queue: Waiter[] = [];
  let scheduled = false;

  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    if (batch.length === 0) return;
    const args: Array<string | number> = [batch.length];
    for (const w of batch) args.push(w.key);
    for (const w of batch) args.push(w.owner, w.windowMs);
    try {
      const results = await claimMany(...args);
      batch.forEach((w, i) => w.resolve({ firstSeen: results[i] === 1 }));
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
