import pg from 'pg';
import { ZenthosError } from '@zenthos/core';

/** A pg connection pool. */
export type Pool = pg.Pool;
/** One checked-out connection, for transactions. */
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: a pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

/** Options of {@link createPool}. */
export interface PoolOptions {
  readonly max?: number;
  readonly applicationName?: string;
}

/**
 * A connection pool for `url`. Idle-client errors (a restarted server) are absorbed here: pg
 * emits them on the pool and an unhandled 'error' event would end the process.
 */
export function createPool(url: string, options: PoolOptions = {}): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'zenthos',
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', () => undefined);
  return pool;
}

/** Runs `fn` inside BEGIN/COMMIT on one connection; rolls back and rethrows on error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A lost connection is also emitted as 'error' on a checked-out client; unheard, it would end
  // the process. The pending query rejects too, so noting it is enough.
  let broken = false;
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken || undefined);
  }
}

/** Readiness check: resolves when Postgres answers a query. */
export async function pingDatabase(db: Queryable): Promise<void> {
  try {
    await db.query('SELECT 1');
  } catch (err) {
    throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `postgres: ${(err as Error).message}`, true, { cause: err });
  }
}
