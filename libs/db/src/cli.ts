import type { Command } from 'commander';
import { loadDbConfig } from './config';
import { createPool } from './adapters/postgres';
import { migrate, readMigrations } from './adapters/migrator';

/** `zenthos db migrate|status`: applies and lists the versioned SQL migrations. */
export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('Postgres schema: versioned SQL migrations (DATABASE_URL)');
  db.command('migrate')
    .description('apply pending migrations from libs/db/migrations, each in one transaction; safe to repeat')
    .action(async () => {
      const pool = createPool(loadDbConfig(process.env).DATABASE_URL, {
        max: 1,
        applicationName: 'zenthos-cli',
      });
      try {
        const result = await migrate(pool);
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } finally {
        await pool.end();
      }
    });
  db.command('status')
    .description('list migrations and whether each is applied')
    .action(async () => {
      const pool = createPool(loadDbConfig(process.env).DATABASE_URL, {
        max: 1,
        applicationName: 'zenthos-cli',
      });
      try {
        const { rows } = await pool
          .query<{ version: number; applied_at: Date }>('SELECT version, applied_at FROM schema_migrations')
          .catch(() => ({
            rows: [] as { version: number; applied_at: Date }[],
          }));
        const applied = new Map(rows.map((r) => [r.version, r.applied_at]));
        for (const m of readMigrations()) {
          const at = applied.get(m.version);
          process.stdout.write(`${String(m.version).padStart(4, '0')}_${m.name}\t${at ? `applied ${at.toISOString()}` : 'pending'}\n`);
        }
      } finally {
        await pool.end();
      }
    });
}
