import { createHash } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';

/** One versioned SQL file, `NNNN_name.sql`. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** sha256 of the file text, so an edited, already-applied file is noticed. */
  readonly checksum: string;
}

/** A row of `schema_migrations`. */
export interface AppliedMigration {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/**
 * Turns `{ fileName: sql }` into migrations ordered by version. Files that do not look like
 * migrations are refused rather than ignored: a typo in a name would otherwise skip a schema
 * change silently.
 */
export function parseMigrations(files: Readonly<Record<string, string>>): Migration[] {
  const seen = new Map<number, string>();
  const out: Migration[] = [];
  for (const [file, sql] of Object.entries(files)) {
    const m = FILE_NAME.exec(file);
    if (!m) throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', `migration file name ${file} is not NNNN_name.sql`);
    const version = Number(m[1]);
    const other = seen.get(version);
    if (other) throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', `migrations ${other} and ${file} share version ${version}`);
    seen.set(version, file);
    out.push({
      version,
      name: m[2] as string,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return out.sort((a, b) => a.version - b.version);
}

/**
 * The migrations still to apply, in order. An applied migration whose file changed or vanished
 * is an error: the database no longer matches the code and a human has to decide.
 */
export function pendingMigrations(available: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const byVersion = new Map(available.map((m) => [m.version, m]));
  for (const a of applied) {
    const file = byVersion.get(a.version);
    if (!file) throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', `applied migration ${a.version} (${a.name}) has no file`);
    if (file.checksum !== a.checksum) {
      throw new ZenthosError('ZEN_DB_MIGRATION_FAILED', `migration ${a.version} (${a.name}) was edited after it was applied`);
    }
  }
  const done = new Set(applied.map((a) => a.version));
  return available.filter((m) => !done.has(m.version));
}
