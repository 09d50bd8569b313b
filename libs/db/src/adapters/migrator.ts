import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toZenthosError, ZenthosError } from '@zenthos/core';
import { parseMigrations, pendingMigrations, type AppliedMigration, type Migration } from '../domain/migrations';
import type { Pool } from './postgres';

// Any constant works as long as every Zenthos process uses the same one: it serialises
// migrators so two services starting together do not apply the same file twice.
const MIGRATION_LOCK_ID = 0x7a656e01;

/** The folder of this package's SQL files, from sources (jest) or from dist. */
export function defaultMigrationsDir(): string {
  for (const candidate of [join(__dirname, '../../migrations'), join(__dirname, '../../../migrations')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', 'cannot find the migrations folder of @zenthos/db');
}

/** Reads every `NNNN_name.sql` of `dir`. */
export function readMigrations(dir: string = defaultMigrationsDir()): Migration[] {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) if (name.endsWith('.sql')) files[name] = readFileSync(join(dir, name), 'utf8');
  return parseMigrations(files);
}

/** What {@link migrate} did. */
export interface MigrateResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

/**
 * Applies the pending migrations, each in its own transaction, under a session advisory lock.
 * Safe to run from several processes at once and as often as wanted.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = readMigrations()): Promise<MigrateResult> {
  const client = await pool.connect();
  const onError = (): void => undefined; // a lost connection also rejects the pending query
  client.on('error', onError);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        checksum TEXT NOT NULL,
        applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<AppliedMigration>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
      const pending = pendingMigrations(migrations, rows);
      const applied: string[] = [];
      for (const m of pending) {
        const label = `${String(m.version).padStart(4, '0')}_${m.name}`;
        try {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
            m.version,
            m.name,
            m.checksum,
          ]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', `migration ${label} failed: ${(err as Error).message}`, false, { cause: err });
        }
        applied.push(label);
      }
      return { applied, alreadyApplied: rows.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    }
  } catch (err) {
    throw toZenthosError(err, 'ZEN_DB_MIGRATION_FAILED');
  } finally {
    client.off('error', onError);
    client.release();
  }
}
