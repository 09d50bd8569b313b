import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { AedesOptions } from 'aedes';

/** Aedes options that share sessions and messages between bridges through Redis. */
export interface RedisScaleOut {
  readonly aedesOptions: Pick<AedesOptions, 'persistence' | 'mq'>;
  close(): Promise<void>;
}

interface Destroyable {
  destroy(): Promise<void>;
}

// aedes 1.x consumes these as Node streams (`.pipe`), as its own in-memory persistence returns
// them; aedes-persistence-redis' promise class returns async iterables for them.
const STREAM_METHODS = new Set(['createRetainedStream', 'createRetainedStreamCombi', 'outgoingStream', 'streamWill', 'getClientList']);

const withNodeStreams = <T extends object>(persistence: T): T =>
  new Proxy(persistence, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof name === 'string' && STREAM_METHODS.has(name)) {
        return (...args: unknown[]) => Readable.from(method.apply(target, args) as AsyncIterable<unknown>);
      }
      // Private fields (#db) need the real instance as `this`.
      return method.bind(target);
    },
  });

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
 * requires, with streams adapted), and platform → device publishes reach whichever bridge holds the device's
 * connection through Redis pub/sub (mqemitter-redis).
 */
export async function createRedisScaleOut(url: string): Promise<RedisScaleOut> {
  const options = redisOptions(url);
  const AsyncPersistence = load('aedes-persistence-redis/asyncPersistence.js') as new (opts: object) => Destroyable;
  const mqemitterRedis = load('mqemitter-redis') as (opts: object) => unknown;
  const persistence = new AsyncPersistence(options);
  const mq = mqemitterRedis(options);
  return {
    aedesOptions: { persistence: withNodeStreams(persistence), mq },
    // aedes.close() closes `mq`; the persistence's Redis connection is ours to end.
    close: () => persistence.destroy().catch(() => undefined),
  };
}
