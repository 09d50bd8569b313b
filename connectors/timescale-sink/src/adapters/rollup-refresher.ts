import type { Pool, PoolClient } from '@zenthos/db';
import { toWriteError } from './postgres-writer';

/** What one refresh did. */
export type RefreshOutcome =
  /** Bucket rows written (0 with TimescaleDB, whose refresh policies do this work after a first backfill). */
  | { readonly kind: 'refreshed'; readonly buckets: number }
  /** Another process (a second sink) is refreshing right now; its run covers this one. */
  | { readonly kind: 'busy' };

/** Materialises the telemetry rollups of the plain-PostgreSQL path, off the write path. */
export interface RollupRefresher {
  /** One refresh; rejects with ZEN_DB_WRITE_FAILED (retriable while Postgres is away). */
  refresh(): Promise<RefreshOutcome>;
}

// Session advisory lock serialising refreshers across sink processes (any constant shared by them).
const REFRESH_LOCK_ID = 0x7a656e30;

/** The refresh of one continuous aggregate up to its policy's end offset: parameters name, offset. */
export const backfillStatement = 'CALL refresh_continuous_aggregate($1::regclass, NULL, now() - $2::interval)';

/**
 * TimescaleDB: the one-time refresh of each continuous aggregate over its whole history that
 * migration 0130 asks for in telemetry_rollup_backfills (outside any transaction block, where
 * refresh_continuous_aggregate must run). Afterwards the refresh policies keep them current.
 * Returns 0: Timescale does not report what it materialised.
 */
async function backfillContinuousAggregates(client: PoolClient): Promise<number> {
  const { rows } = await client.query<{ rollup: string; end_offset: string }>(
    'SELECT rollup, end_offset::text FROM telemetry_rollup_backfills ORDER BY rollup',
  );
  for (const r of rows) {
    await client.query(backfillStatement, [r.rollup, r.end_offset]);
    await client.query('DELETE FROM telemetry_rollup_backfills WHERE rollup = $1', [r.rollup]);
  }
  return 0;
}

/**
 * The refresher over a pg pool: runs `zenthos_refresh_telemetry_rollups()` (migration
 * 0130_deferred_rollups.sql) in a REPEATABLE READ transaction, so the change log entries it claims
 * and the raw rows it aggregates belong to one snapshot, under a session advisory lock taken
 * before that snapshot, so it sees everything an earlier refresher committed. On TimescaleDB the
 * continuous aggregates' policies do this work; the refresher only backfills them once after
 * migration 0130.
 */
export function createRollupRefresher(pool: Pool, options: { maxSpanHours?: number } = {}): RollupRefresher {
  const maxSpan = `${options.maxSpanHours ?? 24} hours`;
  return {
    async refresh() {
      let client;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toWriteError(err);
      }
      const onError = (): void => undefined; // a lost connection also rejects the pending query
      client.on('error', onError);
      let broken: Error | undefined;
      try {
        const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [REFRESH_LOCK_ID]);
        if (!lock.rows[0]?.ok) return { kind: 'busy' };
        try {
          const { rows } = await client.query<{ on: boolean }>('SELECT zenthos_timescale_enabled() AS on');
          if (rows[0]?.on) return { kind: 'refreshed', buckets: await backfillContinuousAggregates(client) };
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          const res = await client.query<{ buckets: number }>('SELECT zenthos_refresh_telemetry_rollups(now(), $1::interval) AS buckets', [
            maxSpan,
          ]);
          await client.query('COMMIT');
          return { kind: 'refreshed', buckets: Number(res.rows[0]?.buckets ?? 0) };
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [REFRESH_LOCK_ID]).catch(() => undefined);
        }
      } catch (err) {
        const e = toWriteError(err);
        // A broken connection must not go back to the pool (nor may its session lock linger).
        if (e.retriable) broken = err as Error;
        throw e;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
  };
}
