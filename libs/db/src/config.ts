import { commonEnv, loadConfig, type ConfigOf } from '@zenthos/core';

/** Settings of the database library: where Postgres is. */
export const dbConfigShape = {
  DATABASE_URL: commonEnv.DATABASE_URL,
} as const;

/** Parsed database settings. */
export type DbConfig = ConfigOf<typeof dbConfigShape>;

/** Reads and validates the database settings once. */
export const loadDbConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): DbConfig => loadConfig(dbConfigShape, source);
