import { createRequire } from 'node:module';
import type { AedesOptions } from 'aedes';

/** Aedes options that share sessions and messages between bridges through Redis. */
export interface RedisScaleOut {
  readonly aedesOptions: Pick<AedesOptions, 'persistence' | 'mq'>;
  close(): Promise<void>;
}

interface Destroyable {
  destroy(): Promise<void>;
}

// CommonJS packages without type declarations; loaded through require to keep them typed locally.
const load = createRequire(__filename);

/** ioredis options from a redis:// or rediss:// URL. */
const redisOptions = (url: string): Record<string, unknown> => {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
};

/**
 * Scale-out (DESIGN.md: two bridges side by side): Aedes sessions, subscriptions, retained and
 * offline messages live in Redis (aedes-persistence-redis, its promise-based class as aedes 1.x
 * requires), and platform → device publishes reach whichever bridge holds the device's
 * connection through Redis pub/sub (mqemitter-redis).
 */
export async function createRedisScaleOut(url: string): Promise<RedisScaleOut> {
  const options = redisOptions(url);
  const AsyncPersistence = load('aedes-persistence-redis/asyncPersistence.js') as new (opts: object) => Destroyable;
  const mqemitterRedis = load('mqemitter-redis') as (opts: object) => unknown;
  const persistence = new AsyncPersistence(options);
  const mq = mqemitterRedis(options);
  return {
    aedesOptions: { persistence, mq },
    // aedes.close() closes `mq`; the persistence's Redis connection is ours to end.
    close: () => persistence.destroy().catch(() => undefined),
  };
}
