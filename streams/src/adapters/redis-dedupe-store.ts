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
// whole batch, so a poll batch costs one command and one reply instead of one per record; a key
// listed twice is claimed by the first and refused to the second, as two separate claims would
// be. ARGV[1] is the window in ms, shared by the call; the owner of KEYS[i] is ARGV[2] ..
// ARGV[i + 2]: the owners' common prefix (the source topic) travels once. Every byte of the
// command is paid for: on a local Redis, writing it to the socket was most of a claim's CPU.
const CLAIM_MANY_SCRIPT = `
local out = {}
local px = ARGV[1]
local prefix = ARGV[2]
for i, key in ipairs(KEYS) do
  local owner = prefix .. ARGV[i + 2]
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
 * Length of the prefix all `strings` share. The prefix of the first and the last string is
 * checked against the others with startsWith, which compares in native code: a loop of
 * charCodeAt over every owner (a source position, built by concatenation) cost about 1 µs per
 * record.
 */
const commonPrefixLength = (strings: readonly string[]): number => {
  const first = strings[0] ?? '';
  const lastOne = strings[strings.length - 1] ?? '';
  let n = Math.min(first.length, lastOne.length);
  let j = 0;
  while (j < n && lastOne.charCodeAt(j) === first.charCodeAt(j)) j++;
  n = j;
  let prefix = first.slice(0, n);
  for (let i = 1; i < strings.length - 1 && n > 0; i++) {
    const s = strings[i] as string;
    while (n > 0 && !s.startsWith(prefix)) prefix = first.slice(0, --n);
  }
  return n;
};

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

  // One script call for claims that share a window (in practice all of them: the window is a
  // processor setting).
  const claimGroup = async (group: readonly Waiter[]): Promise<void> => {
    const owners = group.map((w) => w.owner);
    const shared = commonPrefixLength(owners);
    const args: Array<string | number> = [group.length];
    for (const w of group) args.push(w.key);
    args.push((group[0] as Waiter).windowMs, owners[0]?.slice(0, shared) ?? '');
    for (const owner of owners) args.push(owner.slice(shared));
    try {
      const results = await claimMany(...args);
      group.forEach((w, i) => w.resolve({ firstSeen: results[i] === 1 }));
    } catch (err) {
      const e = new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `redis: ${(err as Error).message}`, true, { cause: err });
      for (const w of group) w.reject(e);
    }
  };
  const flush = async (): Promise<void> => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    if (batch.length === 0) return;
    const byWindow = new Map<number, Waiter[]>();
    for (const w of batch) {
      const group = byWindow.get(w.windowMs);
      if (group === undefined) byWindow.set(w.windowMs, [w]);
      else group.push(w);
    }
    await Promise.all([...byWindow.values()].map(claimGroup));
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
