/** Error codes raised by @zenthos/db (declared in @zenthos/core's list). */
export const dbErrorCodes = ['ZEN_DB_MIGRATION_FAILED', 'ZEN_DEPENDENCY_UNAVAILABLE'] as const;
