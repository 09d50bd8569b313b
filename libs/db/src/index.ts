export { dbConfigShape, loadDbConfig, type DbConfig } from './config';
export { parseMigrations, pendingMigrations, type Migration, type AppliedMigration } from './domain/migrations';
export {
  createPool,
  withTransaction,
  pingDatabase,
  type Pool,
  type PoolClient,
  type Queryable,
  type PoolOptions,
} from './adapters/postgres';
export { migrate, readMigrations, defaultMigrationsDir, type MigrateResult } from './adapters/migrator';
export { createTemporaryDatabase, type TemporaryDatabase } from './adapters/test-database';
export { registerDbCommands } from './cli';
