import type { SchemaLog } from '../domain/registry-service';
import type { LogRecord, RegistryStore } from '../domain/registry-store';

/** An in-memory `_schemas` log for unit tests: applies records at once and keeps them for replay. */
export interface MemorySchemaLog extends SchemaLog {
  /** Every record appended so far, in order (what a restart would replay). */
  readonly records: readonly LogRecord[];
}

/** Creates an in-memory log applying to `store`. */
export function createMemorySchemaLog(store: RegistryStore): MemorySchemaLog {
  const records: LogRecord[] = [];
  return {
    records,
    async append(batch) {
      for (const r of batch) {
        records.push(r);
        store.apply(r);
      }
    },
  };
}
