import { commonEnv, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase, migrate, readMigrations, type TemporaryDatabase } from '../src';

const adminUrl = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, process.env).DATABASE_URL;

describe('migrate against Postgres', () => {
  let db: TemporaryDatabase;
  beforeAll(async () => {
    db = await createTemporaryDatabase(adminUrl, { migrated: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every file once, even when two migrators race', async () => {
    const [a, b] = await Promise.all([migrate(db.pool), migrate(db.pool)]);
    const total = readMigrations().length;
    expect([...a!.applied, ...b!.applied]).toHaveLength(total);
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(Number(rows[0]?.n)).toBe(total);
    const again = await migrate(db.pool);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(total);
  });

  it('creates the spec §6 devices and firmware_releases tables', async () => {
    const { rows } = await db.pool.query<{
      table_name: string;
      column_name: string;
    }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name IN ('devices', 'firmware_releases')`,
    );
    const cols = (t: string) => rows.filter((r) => r.table_name === t).map((r) => r.column_name);
    expect(cols('devices')).toEqual(
      expect.arrayContaining(['id', 'model', 'owner', 'created_at', 'last_seen', 'firmware_version', 'model_version', 'metadata']),
    );
    expect(cols('firmware_releases')).toEqual(
      expect.arrayContaining(['device_model', 'version', 'binary_url', 'sha256', 'signature', 'release_notes', 'uploaded_at']),
    );
  });

  it('rolls a failing migration back whole and records nothing', async () => {
    const bad = [
      ...readMigrations(),
      {
        version: 9999,
        name: 'bad',
        sql: 'CREATE TABLE half_done (x int); SELECT nope;',
        checksum: 'c',
      },
    ];
    await expect(migrate(db.pool, bad)).rejects.toMatchObject({
      code: 'ZEN_DB_MIGRATION_FAILED',
    });
    const { rows } = await db.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(rows).toHaveLength(0);
    const applied = await db.pool.query('SELECT 1 FROM schema_migrations WHERE version = 9999');
    expect(applied.rows).toHaveLength(0);
  });
});
