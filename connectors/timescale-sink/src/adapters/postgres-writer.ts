import { ZenthosError } from '@zenthos/core';
import type { Pool, PoolClient } from '@zenthos/db';
import { from as copyFrom } from 'pg-copy-streams';
import { CHUNK_BYTES, copyBinaryChunks, type TakeBuffer } from '../domain/copy-binary';
import { copyStatements, copyTextLine, daysOf, type Column, type Row, type TableBatch } from '../domain/rows';

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

// SQLSTATE unique_violation: a row of the COPY is stored already.
const UNIQUE_VIOLATION = '23505';

/** The chunk buffers of one COPY's binary data. */
interface ChunkLease {
  readonly take: TakeBuffer;
  /** Ends the lease; `reuse` only once the server has read all of the data. */
  release(reuse: boolean): void;
}

// Buffers kept for the next batches at most: a batch of 5,000 telemetry rows takes about a dozen.
const MAX_FREE_CHUNKS = 32;

/** Chunk buffers of binary COPY data, used again by later COPYs (not allocated per batch). */
function createChunkBuffers(): { lease(): ChunkLease } {
  const free: Buffer[] = [];
  return {
    lease() {
      const taken: Buffer[] = [];
      return {
        take(bytes) {
          const buf = bytes <= CHUNK_BYTES ? (free.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES)) : Buffer.allocUnsafe(bytes);
          taken.push(buf);
          return buf;
        },
        release(reuse) {
          if (reuse) for (const b of taken) if (b.length === CHUNK_BYTES && free.length < MAX_FREE_CHUNKS) free.push(b);
        },
      };
    },
  };
}

/**
 * Streams rows to `sql` (a `COPY … FROM STDIN`); resolves with the number of rows copied. Binary
 * format when every value has an exact binary form ({@link copyBinaryChunks}: less CPU per row for
 * the server and for the sink), else text.
 */
async function copyInto(
  client: PoolClient,
  sql: string,
  columns: readonly Column[],
  rows: readonly Row[],
  buffers: { lease(): ChunkLease },
): Promise<number> {
  const lease = buffers.lease();
  const binary = copyBinaryChunks(columns, rows, lease.take);
  let completed = false;
  try {
    const stream = client.query(copyFrom(binary ? `${sql} WITH (FORMAT binary)` : sql));
    // Written at once, without a Readable and a pipeline per batch (a quiet sink copies a row or
    // two per batch); the batch's data is in memory anyway. 'finish' comes after the server's
    // CommandComplete and ReadyForQuery, an ErrorResponse comes as 'error'.
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.once('finish', resolve);
      for (const chunk of binary ?? copyTextChunks(rows)) stream.write(chunk);
      stream.end();
    });
    completed = true;
    return stream.rowCount;
  } finally {
    // After a failure the socket may still hold chunks not yet sent: those buffers are dropped.
    lease.release(completed);
  }
}

/** COPY text of rows, in chunks of a few hundred lines (fewer, larger socket writes). */
function* copyTextChunks(rows: readonly Row[]): Generator<string> {
  for (let i = 0; i < rows.length; i += 500) {
    let chunk = '';
    for (let r = i; r < Math.min(rows.length, i + 500); r++) chunk += copyTextLine(rows[r] as Row);
    yield chunk;
  }
}

/**
 * The writer over a pg pool. Each batch is first streamed with COPY straight into its table, in
 * one transaction; when a row of it is stored already (a redelivery: the unique key
 * `(message_id, time)` stops the COPY, and nothing of it is kept), the batch is streamed into a
 * per-session temporary staging table and merged with `INSERT … SELECT … ON CONFLICT DO NOTHING`,
 * so the stored rows are skipped. Either way each row is stored once, and the transaction writes
 * the batch's tables and nothing else: the rollups are refreshed from them in the background (see
 * {@link createRollupRefresher}).
 */
export function createPostgresWriter(pool: Pool): BatchWriter {
  const knownPartitions = new Set<string>();
  const buffers = createChunkBuffers();
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
      const several = nonEmpty.length > 1;
      try {
        try {
          // Rows are new but for a redelivery (the sink removes repeats inside a batch), so they
          // are first COPied straight into their tables: no staging table, no merge statement to
          // plan (measured: about half of Postgres' CPU per row in batches of 200, a quarter in
          // batches of 5,000). One table's COPY is a transaction of its own (one round trip);
          // several tables share one.
          if (several) await client.query('BEGIN');
          for (const b of nonEmpty)
            add(b.spec.table, await copyInto(client, copyStatements(b.spec).copyDirect, b.spec.columns, b.rows, buffers));
          if (several) await client.query('COMMIT');
        } catch (err) {
          if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
          // Some rows are stored already (a redelivered batch): nothing of the failed COPY was
          // kept; write the batch again through staging tables, skipping the stored rows.
          for (const t of Object.keys(inserted)) delete inserted[t];
          if (several) await client.query('ROLLBACK');
          const created: string[] = [];
          await client.query('BEGIN');
          for (const b of nonEmpty) {
            const sql = copyStatements(b.spec);
            // IF NOT EXISTS: a rolled-back first transaction also rolls back the table's creation.
            if (!staged.get(b.spec.table)?.has(client)) {
              await client.query(sql.createStaging);
              created.push(b.spec.table);
            }
            await copyInto(client, sql.copy, b.spec.columns, b.rows, buffers);
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
