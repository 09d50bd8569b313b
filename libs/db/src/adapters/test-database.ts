import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPool, type Pool } from './postgres';
import { migrate } from './migrator';

/** A throw-away database for one test file. */
export interface TemporaryDatabase {
  readonly name: string;
  readonly url: string;
  readonly pool: Pool;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

const withAdmin = async (adminUrl: string, sql: string): Promise<void> => {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
};

/**
 * Creates `zenthos_test_<random>` next to the database of `adminUrl` (whose user may CREATE
 * DATABASE), migrated unless `migrated` is false. Integration tests get full isolation without
 * caring what other test files do at the same time.
 */
export async function createTemporaryDatabase(adminUrl: string, options: { migrated?: boolean } = {}): Promise<TemporaryDatabase> {
  const name = `zenthos_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString(), {
    max: 5,
    applicationName: 'zenthos-test',
  });
  if (options.migrated !== false) await migrate(pool);
  return {
    name,
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await withAdmin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
