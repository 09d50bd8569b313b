import { ZenthosError } from '@zenthos/core';
import type { Pool } from '@zenthos/db';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { columnArrays, copyStatements, copyTextLine, daysOf, insertStatement, type Row, type TableBatch } from '../domain/rows';

/** Rows inserted per table by one transaction (duplicates already stored are not counted). */
export type WriteResult = Readonly<Record<string, number>>;

/** Writes batches of rows, one transaction per call. */
export interface BatchWriter {
  write(batches: readonly TableBatch[]): Promise<WriteResult>;
  /** Plain Postgres: creates daily partitions from `from` for `days`, once per table and day. */
  ensurePartitions(tables: readonly string[], from: Date, days: number): Promise<void>;
  /** Applies retention/compression settings and drops expired partitions; returns the dropped ones. */
  maintain(settings: { retentionDays: number; compressAfterDays: number; tables: readonly string[] }): Promise<string[]>;
}

// SQLSTATE classes that mean "the server or the connection is (temporarily) not there":
// 08 connection exception, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect now,
// 40001 / 40P01 serialization failure and deadlock (retry the transaction), 3D000 none.
const RETRIABLE_SQLSTATE = /^(08|53|57P0[1-3]|40001|40P01|58)/;
const RETRIABLE_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when trying again later can succeed: Postgres down, restarting, or a connection lost. */
export function isRetriableDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e.code === 'string' && (RETRIABLE_SQLSTATE.test(e.code) || RETRIABLE_NODE.has(e.code))) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  // node-postgres reports a dropped socket without a code.
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    message,
  );
}

/** Wraps a pg error as ZEN_DB_WRITE_FAILED, retriable when {@link isRetriableDbError} says so. */
export const toWriteError = (err: unknown): ZenthosError =>
  err instanceof ZenthosError
    ? err
    : new ZenthosError('ZEN_DB_WRITE_FAILED', `postgres: ${(err as Error).message ?? String(err)}`, isRetriableDbError(err), {
        cause: err,
      });

// Up to this many rows, a table batch is one `INSERT … SELECT FROM unnest($1, …) ON CONFLICT DO
// NOTHING` (array parameters): cheaper than a staging table and COPY for a handful of rows;
// COPY wins for larger batches.
const UNNEST_MAX_ROWS = 100;

/** COPY text of rows, in chunks of a few hundred lines (fewer, larger socket writes). */
function* copyChunks(rows: readonly Row[]): Generator<string> {
  for (let i = 0; i < rows.length; i += 500) {
    let chunk = '';
    for (const row of rows.slice(i, i + 500)) chunk += copyTextLine(row);
    yield chunk;
  }
}

/**
 * The writer over a pg pool. Each batch is streamed with COPY into a per-session temporary
 * staging table (no WAL, no indexes: COPY's speed) and merged in the same transaction with
 * `INSERT … SELECT … ON CONFLICT DO NOTHING`, so duplicates already stored are skipped; a batch of
 * a few rows is one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING` instead. The
 * transaction writes the batch's tables and nothing else: the rollups are refreshed from them in
 * the background (see {@link createRollupRefresher}).
 */
export function createPostgresWriter(pool: Pool): BatchWriter {
  const knownPartitions = new Set<string>();
  // Connections whose session has the staging table of a table (created by a committed transaction).
  const staged = new Map<string, WeakSet<object>>();

  const ensure = async (table: string, days: readonly string[]): Promise<void> => {
    const missing = days.filter((d) => !knownPartitions.has(`${table}/${d}`));
    if (missing.length === 0) return;
    // Outside the data transaction: CREATE TABLE … PARTITION OF locks the parent briefly, and
    // a partition that exists is harmless if the write then fails.
    for (const day of missing) {
      try {
        await pool.query('SELECT zenthos_ensure_partitions($1, $2::timestamptz, 1)', [table, `${day}T00:00:00Z`]);
      } catch (err) {
        // Two sinks creating the same partition at once: the loser sees a duplicate; fine.
        if ((err as { code?: string }).code !== '42P07') throw toWriteError(err);
      }
      knownPartitions.add(`${table}/${day}`);
    }
  };

  return {
    async write(batches) {
      for (const b of batches) await ensure(b.spec.table, daysOf(b));
      let client;
      try {
        client = await pool.connect();
      } catch (err) {
        throw toWriteError(err);
      }
      // A socket that dies between two queries is reported as an 'error' event on the client
      // (and as the next query's rejection): without a listener it would end the process.
      const onError = (): void => undefined;
      client.on('error', onError);
      const inserted: Record<string, number> = {};
      const add = (table: string, n: number | null): void => {
        inserted[table] = (inserted[table] ?? 0) + (n ?? 0);
      };
      const nonEmpty = batches.filter((b) => b.rows.length > 0);
      try {
        const [only] = nonEmpty;
        if (nonEmpty.length === 1 && only!.rows.length <= UNNEST_MAX_ROWS) {
          // One small table batch (a quiet sink writes every record as it comes): a single
          // statement, atomic on its own, in one round trip instead of five.
          add(only!.spec.table, (await client.query(insertStatement(only!.spec), columnArrays(only!))).rowCount);
        } else if (nonEmpty.length > 0) {
          const created: string[] = [];
          await client.query('BEGIN');
          for (const b of nonEmpty) {
            if (b.rows.length <= UNNEST_MAX_ROWS) {
              add(b.spec.table, (await client.query(insertStatement(b.spec), columnArrays(b))).rowCount);
              continue;
            }
            const sql = copyStatements(b.spec);
            // IF NOT EXISTS: a rolled-back first transaction also rolls back the table's creation.
            if (!staged.get(b.spec.table)?.has(client)) {
              await client.query(sql.createStaging);
              created.push(b.spec.table);
            }
            await pipeline(Readable.from(copyChunks(b.rows)), client.query(copyFrom(sql.copy)));
            add(b.spec.table, (await client.query(sql.merge)).rowCount);
          }
          await client.query('COMMIT');
          for (const t of created) (staged.get(t) ?? staged.set(t, new WeakSet()).get(t))!.add(client);
        }
        client.off('error', onError);
        client.release();
        return inserted;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.off('error', onError);
        // A broken connection must not go back to the pool.
        client.release(isRetriableDbError(err) ? (err as Error) : undefined);
        throw toWriteError(err);
      }
    },

    async ensurePartitions(tables, from, days) {
      const list: string[] = [];
      for (let i = 0; i < days; i++) list.push(new Date(from.getTime() + i * 86_400_000).toISOString().slice(0, 10));
      for (const t of tables) await ensure(t, list);
    },

    async maintain({ retentionDays, compressAfterDays, tables }) {
      try {
        for (const t of tables) {
          await pool.query('SELECT zenthos_configure_timeseries($1, $2::interval, $3::interval)', [
            t,
            retentionDays > 0 ? `${retentionDays} days` : null,
            compressAfterDays > 0 ? `${compressAfterDays} days` : null,
          ]);
        }
        const { rows } = await pool.query<{ dropped: string }>('SELECT zenthos_drop_expired_partitions() AS dropped');
        // A dropped day may be written again (a late device): check it anew next time.
        if (rows.length > 0) knownPartitions.clear();
        return rows.map((r) => r.dropped);
      } catch (err) {
        throw toWriteError(err);
      }
    },
  };
}
