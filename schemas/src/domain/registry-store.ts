// The registry's state, rebuilt from the `_schemas` log in Confluent Schema Registry's record
// format so that a Confluent registry pointed at the same topic reads the same subjects.
//
// Keys (JSON, property order as Confluent's Jackson writes them, so compaction collapses ours
// and theirs alike):
//   {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}  → {"subject","version","id","schema","deleted"}
//   {"keytype":"CONFIG","subject":null|"s","magic":0}         → {"compatibilityLevel":"BACKWARD"}
//   {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}       → {"subject":"s","version":N}
//   {"keytype":"NOOP","magic":0}                               → anything (ignored)
// A null value (tombstone) removes the key.

import type { CompatibilityLevel } from './registry-port';
import { compatibilityLevels } from './registry-port';

/** One record of the log: JSON key and JSON value (null = tombstone). */
export interface LogRecord {
  readonly key: string;
  readonly value: string | null;
}

/** A schema version as stored in a SCHEMA record. */
export interface StoredVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
  readonly deleted: boolean;
  readonly schemaType?: string;
}

/** Keys in Confluent's format. */
export const recordKeys = {
  schema: (subject: string, version: number): string => JSON.stringify({ keytype: 'SCHEMA', subject, version, magic: 1 }),
  config: (subject: string | null): string => JSON.stringify({ keytype: 'CONFIG', subject, magic: 0 }),
  deleteSubject: (subject: string): string => JSON.stringify({ keytype: 'DELETE_SUBJECT', subject, magic: 0 }),
};

/** Values in Confluent's format. */
export const recordValues = {
  schema: (v: StoredVersion): string =>
    JSON.stringify({
      subject: v.subject,
      version: v.version,
      id: v.id,
      ...(v.schemaType && v.schemaType !== 'AVRO' ? { schemaType: v.schemaType } : {}),
      schema: v.schema,
      deleted: v.deleted,
    }),
  config: (level: CompatibilityLevel): string => JSON.stringify({ compatibilityLevel: level }),
  deleteSubject: (subject: string, version: number): string => JSON.stringify({ subject, version }),
};

/**
 * In-memory view of the log. `apply` is idempotent per record, so replaying the log from the
 * start always ends in the same state (which is what keeps ids stable across restarts).
 */
export class RegistryStore {
  private readonly subjects = new Map<string, Map<number, StoredVersion>>();
  private readonly configs = new Map<string | null, CompatibilityLevel>();
  private readonly schemaById = new Map<number, { schema: string; schemaType?: string }>();
  private readonly idBySchema = new Map<string, number>();
  private maxIdSeen = 0;
  /** Records the store did not understand (other key types, garbage), counted, not fatal. */
  ignoredRecords = 0;

  /** Applies one record from the log. */
  apply(record: LogRecord): void {
    let key: { keytype?: unknown; subject?: unknown; version?: unknown };
    try {
      key = JSON.parse(record.key) as typeof key;
    } catch {
      this.ignoredRecords++;
      return;
    }
    try {
      switch (key.keytype) {
        case 'SCHEMA':
          this.applySchema(String(key.subject), Number(key.version), record.value);
          return;
        case 'CONFIG':
          this.applyConfig(key.subject === null || key.subject === undefined ? null : String(key.subject), record.value);
          return;
        case 'DELETE_SUBJECT':
          this.applyDeleteSubject(String(key.subject), record.value);
          return;
        case 'NOOP':
          return;
        default:
          this.ignoredRecords++;
      }
    } catch {
      this.ignoredRecords++;
    }
  }

  private applySchema(subject: string, version: number, value: string | null): void {
    const versions = this.subjects.get(subject) ?? new Map<number, StoredVersion>();
    if (value === null) {
      const gone = versions.get(version);
      versions.delete(version);
      if (versions.size === 0) this.subjects.delete(subject);
      if (gone) this.forgetIdIfUnused(gone.id);
      return;
    }
    const v = JSON.parse(value) as { id: number; schema: string; deleted?: boolean; schemaType?: string };
    const stored: StoredVersion = {
      subject,
      version,
      id: v.id,
      schema: v.schema,
      deleted: v.deleted === true,
      ...(v.schemaType ? { schemaType: v.schemaType } : {}),
    };
    versions.set(version, stored);
    this.subjects.set(subject, versions);
    this.schemaById.set(v.id, { schema: v.schema, ...(v.schemaType ? { schemaType: v.schemaType } : {}) });
    if (!this.idBySchema.has(v.schema)) this.idBySchema.set(v.schema, v.id);
    this.maxIdSeen = Math.max(this.maxIdSeen, v.id);
  }

  private applyConfig(subject: string | null, value: string | null): void {
    if (value === null) {
      this.configs.delete(subject);
      return;
    }
    const level = (JSON.parse(value) as { compatibilityLevel?: string }).compatibilityLevel;
    if ((compatibilityLevels as readonly string[]).includes(level ?? '')) this.configs.set(subject, level as CompatibilityLevel);
  }

  private applyDeleteSubject(subject: string, value: string | null): void {
    if (value === null) return;
    const upTo = (JSON.parse(value) as { version?: number }).version ?? Number.MAX_SAFE_INTEGER;
    const versions = this.subjects.get(subject);
    for (const [n, v] of versions ?? []) if (n <= upTo && !v.deleted) versions!.set(n, { ...v, deleted: true });
  }

  private forgetIdIfUnused(id: number): void {
    for (const versions of this.subjects.values()) for (const v of versions.values()) if (v.id === id) return;
    const entry = this.schemaById.get(id);
    this.schemaById.delete(id);
    if (entry && this.idBySchema.get(entry.schema) === id) this.idBySchema.delete(entry.schema);
  }

  /** Subject names; soft-deleted subjects (all versions deleted) only with `includeDeleted`. */
  subjectNames(includeDeleted = false): string[] {
    return [...this.subjects.entries()]
      .filter(([, versions]) => includeDeleted || [...versions.values()].some((v) => !v.deleted))
      .map(([name]) => name)
      .sort();
  }

  /** Versions of a subject, oldest first; soft-deleted ones only with `includeDeleted`. */
  versions(subject: string, includeDeleted = false): StoredVersion[] {
    return [...(this.subjects.get(subject)?.values() ?? [])]
      .filter((v) => includeDeleted || !v.deleted)
      .sort((a, b) => a.version - b.version);
  }

  /** True when the subject has any version, deleted or not. */
  hasSubject(subject: string): boolean {
    return this.subjects.has(subject);
  }

  /** A schema by global id. */
  schemaOfId(id: number): { schema: string; schemaType?: string } | undefined {
    return this.schemaById.get(id);
  }

  /** The id a schema text already has anywhere in the registry. */
  idOfSchema(schema: string): number | undefined {
    return this.idBySchema.get(schema);
  }

  /** Every (subject, version) using an id. */
  usesOfId(id: number): StoredVersion[] {
    const out: StoredVersion[] = [];
    for (const versions of this.subjects.values()) for (const v of versions.values()) if (v.id === id) out.push(v);
    return out.sort((a, b) => (a.subject === b.subject ? a.version - b.version : a.subject < b.subject ? -1 : 1));
  }

  /** Next free global id. */
  nextId(): number {
    return this.maxIdSeen + 1;
  }

  /** The compatibility level set for a subject (null = global), if any. */
  config(subject: string | null): CompatibilityLevel | undefined {
    return this.configs.get(subject);
  }
}
