import { Redis } from 'ioredis';
import { restoreFastStringPrototype, ZenthosError } from '@zenthos/core';
import type { DedupeStore } from '../domain/dedupe';

// ioredis subclasses String: see restoreFastStringPrototype.
restoreFastStringPrototype();

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

// One claim, shared by both scripts: a key claimed by nobody, or by this owner already (a
// redelivered batch of the same source position), is this owner's; a key that expired between
// SET NX and GET is claimed again.
const CLAIM_ONE_LUA = `
local function claim(key, owner, px)
  if redis.call('SET', key, owner, 'NX', 'PX', px) then return 1 end
  local current = redis.call('GET', key)
  if current == owner then return 1 end
  if not current then
    redis.call('SET', key, owner, 'PX', px)
    return 1
  end
  return 0
end`;

// For each key: SET NX PX writes the mark with its window in one atomic step (Redis SET, NX/PX
// options); when it exists already, GET tells whose it is. Marks expire by TTL on their own, so
// the state survives restarts and rebalances without any cleanup job. One script call claims a
// whole batch, so a poll batch costs one command and one reply instead of one per record; a key
// listed twice is claimed by the first and refused to the second, as two separate claims would
// be. ARGV[1] is the window in ms, shared by the call; the owner of KEYS[i] is ARGV[i + 1].
const CLAIM_MANY_SCRIPT = `${CLAIM_ONE_LUA}
local out = {}
local px = ARGV[1]
for i, key in ipairs(KEYS) do
  out[i] = claim(key, ARGV[i + 1], px)
end
return out`;

// The same claims with the batch packed into five arguments instead of two per claim: the key
// prefix once, then the message ids and the owners, each joined by newlines, split again by the
// script. Building and writing two bulk strings per claim
// was about half of a claim's CPU in ioredis (500 claims per call on the local Redis: about 2.3 →
// 1.2 µs of client CPU per claim, Redis' own CPU unchanged within noise). Used whenever no id or
// owner contains a newline (always for UUIDv4 ids and Kafka positions); else CLAIM_MANY_SCRIPT.
// The keys are built inside the script: like CLAIM_MANY_SCRIPT's, they all belong to one
// Redis (see createRedisDedupeStore). The owners travel whole: sending their common prefix
// (the source topic) once instead saved about 20 bytes per claim but cost more client CPU to
// find (a startsWith per owner) than the bytes cost to write: 1,000 claims per call on the local
// Redis, eight alternating pairs, 1.86–2.57 → 1.66–2.24 µs of client CPU per claim; Redis' own
// CPU within the same noise both ways (4–11 µs per claim on the shared machine).
const CLAIM_PACKED_SCRIPT = `${CLAIM_ONE_LUA}
local px, keyPrefix, n, ids, owners = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local out = {}
local ip, op = 1, 1
for i = 1, n do
  local ie = string.find(ids, '\\n', ip, true) or (#ids + 1)
  local oe = string.find(owners, '\\n', op, true) or (#owners + 1)
  local key = keyPrefix .. string.sub(ids, ip, ie - 1)
  local owner = string.sub(owners, op, oe - 1)
  ip, op = ie + 1, oe + 1
  out[i] = claim(key, owner, px)
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
  redis.defineCommand('zenthosClaimPacked', { lua: CLAIM_PACKED_SCRIPT });
  const commands = redis as unknown as {
    zenthosClaimMany(...args: Array<string | number>): Promise<number[]>;
    zenthosClaimPacked(...args: Array<string | number>): Promise<number[]>;
  };
  const maxBatch = settings.maxBatch ?? 1000;
  type Waiter = { messageId: string; owner: string; windowMs: number; resolve(v: { firstSeen: boolean }): void; reject(e: unknown): void };
  let queue: Waiter[] = [];
  let scheduled = false;

  // One script call for claims that share a window (in practice all of them: the window is a
  // processor setting).
  const claimGroup = async (group: readonly Waiter[]): Promise<void> => {
    const windowMs = (group[0] as Waiter).windowMs;
    let ids = '';
    let owners = '';
    let packable = true;
    for (let i = 0; i < group.length; i++) {
      const w = group[i] as Waiter;
      if (w.messageId.includes('\n') || w.owner.includes('\n')) packable = false;
      const sep = i === 0 ? '' : '\n';
      ids += sep + w.messageId;
      owners += sep + w.owner;
    }
    try {
      let results: number[];
      if (packable) {
        results = await commands.zenthosClaimPacked(0, windowMs, settings.keyPrefix, group.length, ids, owners);
      } else {
        const args: Array<string | number> = [group.length];
        for (const w of group) args.push(`${settings.keyPrefix}${w.messageId}`);
        args.push(windowMs);
        for (const w of group) args.push(w.owner);
        results = await commands.zenthosClaimMany(...args);
      }
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
        queue.push({ messageId, owner, windowMs, resolve, reject });
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
