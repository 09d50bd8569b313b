import type { Type } from 'avsc';
import { RegistryError, codeForRegistryError } from '../errors';
import { parseSchema, schemaText } from './avro';
import { checkCompatibility } from './compatibility';
import { compatibilityLevels, type CompatibilityLevel } from './registry-port';
import { recordKeys, recordValues, type LogRecord, type RegistryStore, type StoredVersion } from './registry-store';

/** Where the registry writes its records. `append` resolves once the store has applied them. */
export interface SchemaLog {
  append(records: readonly LogRecord[]): Promise<void>;
}

/** A registry answer in Confluent's error format: HTTP status and `error_code`. */
export const registryError = (status: number, errorCode: number, message: string): RegistryError =>
  new RegistryError(codeForRegistryError(status, errorCode), message, status, errorCode, status >= 500);

// Confluent Schema Registry error codes (io.confluent.kafka.schemaregistry.rest.exceptions).
const err = {
  subjectNotFound: (s: string) => registryError(404, 40401, `Subject '${s}' not found.`),
  versionNotFound: (v: string | number) => registryError(404, 40402, `Version ${v} not found.`),
  schemaNotFound: () => registryError(404, 40403, 'Schema not found'),
  subjectSoftDeleted: (s: string) => registryError(404, 40404, `Subject '${s}' was soft deleted.Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (s: string) => registryError(404, 40405, `Subject '${s}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (s: string, v: number) =>
    registryError(404, 40406, `Subject '${s}' Version ${v} was soft deleted.Set permanent=true to delete permanently`),
  versionNotSoftDeleted: (s: string, v: number) =>
    registryError(404, 40407, `Subject '${s}' Version ${v} was not deleted first before being permanently deleted`),
  configNotFound: (s: string) => registryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  invalidSchema: (m: string) => registryError(422, 42201, m),
  invalidVersion: (v: string) =>
    registryError(
      422,
      42202,
      `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidLevel: (l: unknown) =>
    registryError(
      422,
      42203,
      `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive (got ${JSON.stringify(l)})`,
    ),
  incompatible: (s: string, messages: string[]) =>
    registryError(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${s}", details: [${messages.join(', ')}]`,
    ),
};

/** Body of register, lookup and compatibility requests. */
export interface SchemaRequest {
  schema?: unknown;
  schemaType?: unknown;
  references?: unknown;
}

/** Options of {@link createRegistryService}. */
export interface RegistryServiceOptions {
  readonly store: RegistryStore;
  readonly log: SchemaLog;
  /** Level when neither the subject nor the global config sets one. */
  readonly defaultLevel: CompatibilityLevel;
}

/** A version answer: `{subject, version, id, schema}` (+ schemaType when not Avro). */
export type VersionBody = { subject: string; version: number; id: number; schema: string; schemaType?: string };

const toBody = (v: StoredVersion): VersionBody => ({
  subject: v.subject,
  version: v.version,
  id: v.id,
  ...(v.schemaType && v.schemaType !== 'AVRO' ? { schemaType: v.schemaType } : {}),
  schema: v.schema,
});

/**
 * The Confluent Schema Registry's behaviour over a {@link RegistryStore}: every operation of
 * the REST API, raising {@link RegistryError}s with Confluent's status and error codes.
 * Writes are serialised, so global ids are handed out one at a time.
 */
export function createRegistryService(options: RegistryServiceOptions) {
  const { store, log } = options;
  let writes: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = writes.then(fn, fn);
    writes = next.catch(() => undefined);
    return next;
  };
  const types = new Map<string, Type>();
  const typeOf = (text: string): Type => {
    let t = types.get(text);
    if (!t) {
      t = parseSchema(text);
      types.set(text, t);
    }
    return t;
  };

  const levelOf = (subject: string): CompatibilityLevel => store.config(subject) ?? store.config(null) ?? options.defaultLevel;

  /** Validates a request body and returns the schema's stored text. */
  const parseRequest = (body: SchemaRequest | undefined): string => {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw registryError(422, 422, 'Request body must be a JSON object');
    if (body.schemaType !== undefined && body.schemaType !== 'AVRO')
      throw err.invalidSchema(`Unsupported schema type ${JSON.stringify(body.schemaType)}; this registry stores AVRO`);
    if (body.references !== undefined && (!Array.isArray(body.references) || body.references.length > 0)) {
      throw err.invalidSchema('Schema references are not supported');
    }
    if (typeof body.schema !== 'string' || body.schema.trim() === '') throw err.invalidSchema('Empty schema');
    let text: string;
    try {
      text = schemaText(body.schema);
      typeOf(text);
    } catch (e) {
      throw err.invalidSchema(`Invalid schema ${body.schema.slice(0, 200)}: ${(e as Error).message}`);
    }
    return text;
  };

  const parseVersion = (version: string): 'latest' | number => {
    if (version === 'latest' || version === '-1') return 'latest';
    if (!/^\d+$/.test(version)) throw err.invalidVersion(version);
    const n = Number(version);
    if (n < 1 || n > 2 ** 31 - 1) throw err.invalidVersion(version);
    return n;
  };

  const findVersion = (subject: string, version: string, includeDeleted: boolean): StoredVersion => {
    const parsed = parseVersion(version);
    if (store.versions(subject, includeDeleted).length === 0) throw err.subjectNotFound(subject);
    const list = store.versions(subject, includeDeleted);
    const found = parsed === 'latest' ? list.at(-1) : list.find((v) => v.version === parsed);
    if (!found) throw err.versionNotFound(version);
    return found;
  };

  const compatibilityMessages = (subject: string, text: string, against: readonly StoredVersion[], level: CompatibilityLevel): string[] =>
    checkCompatibility(
      level,
      typeOf(text),
      against.map((v) => ({ version: v.version, type: typeOf(v.schema) })),
    );

  return {
    schemaTypes: (): string[] => ['AVRO'],

    schemaById(id: number): { schema: string; schemaType?: string } {
      const found = store.schemaOfId(id);
      if (!found) throw err.schemaNotFound();
      return found.schemaType && found.schemaType !== 'AVRO' ? found : { schema: found.schema };
    },

    subjectsOfId(id: number, includeDeleted: boolean): string[] {
      if (!store.schemaOfId(id)) throw err.schemaNotFound();
      return [
        ...new Set(
          store
            .usesOfId(id)
            .filter((v) => includeDeleted || !v.deleted)
            .map((v) => v.subject),
        ),
      ].sort();
    },

    versionsOfId(id: number, includeDeleted: boolean): Array<{ subject: string; version: number }> {
      if (!store.schemaOfId(id)) throw err.schemaNotFound();
      return store
        .usesOfId(id)
        .filter((v) => includeDeleted || !v.deleted)
        .map((v) => ({ subject: v.subject, version: v.version }));
    },

    listSubjects: (includeDeleted: boolean): string[] => store.subjectNames(includeDeleted),

    listVersions(subject: string, includeDeleted: boolean): number[] {
      const list = store.versions(subject, includeDeleted);
      if (list.length === 0) throw err.subjectNotFound(subject);
      return list.map((v) => v.version);
    },

    getVersion: (subject: string, version: string, includeDeleted: boolean): VersionBody =>
      toBody(findVersion(subject, version, includeDeleted)),

    lookup(subject: string, body: SchemaRequest | undefined, includeDeleted: boolean): VersionBody {
      const text = parseRequest(body);
      if (!store.hasSubject(subject) || store.versions(subject, includeDeleted).length === 0) throw err.subjectNotFound(subject);
      const found = store.versions(subject, includeDeleted).find((v) => v.schema === text);
      if (!found) throw err.schemaNotFound();
      return toBody(found);
    },

    register(subject: string, body: SchemaRequest | undefined): Promise<{ id: number }> {
      const text = parseRequest(body);
      return serial(async () => {
        const live = store.versions(subject);
        const same = live.find((v) => v.schema === text);
        // Registering the same schema again is idempotent: same id, no new version.
        if (same) return { id: same.id };
        const messages = compatibilityMessages(subject, text, live, levelOf(subject));
        if (messages.length > 0) throw err.incompatible(subject, messages);
        const id = store.idOfSchema(text) ?? store.nextId();
        const version = (store.versions(subject, true).at(-1)?.version ?? 0) + 1;
        await log.append([
          { key: recordKeys.schema(subject, version), value: recordValues.schema({ subject, version, id, schema: text, deleted: false }) },
        ]);
        return { id };
      });
    },

    testCompatibility(
      subject: string,
      version: string | undefined,
      body: SchemaRequest | undefined,
    ): { is_compatible: boolean; messages: string[] } {
      const text = parseRequest(body);
      const level = levelOf(subject);
      if (version === undefined) {
        const messages = compatibilityMessages(subject, text, store.versions(subject), level);
        return { is_compatible: messages.length === 0, messages };
      }
      const target = findVersion(subject, version, false);
      const pairLevel = level.replace('_TRANSITIVE', '') as CompatibilityLevel;
      const messages = compatibilityMessages(subject, text, [target], pairLevel);
      return { is_compatible: messages.length === 0, messages };
    },

    deleteSubject(subject: string, permanent: boolean): Promise<number[]> {
      return serial(async () => {
        const all = store.versions(subject, true);
        if (all.length === 0) throw err.subjectNotFound(subject);
        const live = all.filter((v) => !v.deleted);
        if (!permanent) {
          if (live.length === 0) throw err.subjectSoftDeleted(subject);
          await log.append([
            ...live.map((v) => ({ key: recordKeys.schema(subject, v.version), value: recordValues.schema({ ...v, deleted: true }) })),
            { key: recordKeys.deleteSubject(subject), value: recordValues.deleteSubject(subject, live.at(-1)!.version) },
          ]);
          return live.map((v) => v.version);
        }
        if (live.length > 0) throw err.subjectNotSoftDeleted(subject);
        await log.append([
          ...all.map((v) => ({ key: recordKeys.schema(subject, v.version), value: null })),
          { key: recordKeys.deleteSubject(subject), value: null },
        ]);
        return all.map((v) => v.version);
      });
    },

    deleteVersion(subject: string, version: string, permanent: boolean): Promise<number> {
      return serial(async () => {
        const parsed = parseVersion(version);
        if (store.versions(subject, true).length === 0) throw err.subjectNotFound(subject);
        if (!permanent) {
          const live = store.versions(subject);
          const found = parsed === 'latest' ? live.at(-1) : store.versions(subject, true).find((v) => v.version === parsed);
          if (!found) throw err.versionNotFound(version);
          if (found.deleted) throw err.versionSoftDeleted(subject, found.version);
          await log.append([{ key: recordKeys.schema(subject, found.version), value: recordValues.schema({ ...found, deleted: true }) }]);
          return found.version;
        }
        const all = store.versions(subject, true);
        const found = parsed === 'latest' ? all.at(-1) : all.find((v) => v.version === parsed);
        if (!found) throw err.versionNotFound(version);
        if (!found.deleted) throw err.versionNotSoftDeleted(subject, found.version);
        await log.append([{ key: recordKeys.schema(subject, found.version), value: null }]);
        return found.version;
      });
    },

    getConfig(subject: string | undefined, defaultToGlobal: boolean): { compatibilityLevel: CompatibilityLevel } {
      if (subject === undefined) return { compatibilityLevel: store.config(null) ?? options.defaultLevel };
      const own = store.config(subject);
      if (own) return { compatibilityLevel: own };
      if (defaultToGlobal) return { compatibilityLevel: store.config(null) ?? options.defaultLevel };
      throw err.configNotFound(subject);
    },

    setConfig(subject: string | undefined, body: unknown): Promise<{ compatibility: CompatibilityLevel }> {
      const raw = typeof body === 'object' && body !== null ? (body as { compatibility?: unknown; compatibilityLevel?: unknown }) : {};
      const requested = raw.compatibility ?? raw.compatibilityLevel;
      const level = typeof requested === 'string' ? requested.toUpperCase() : undefined;
      if (!level || !(compatibilityLevels as readonly string[]).includes(level)) throw err.invalidLevel(requested);
      return serial(async () => {
        await log.append([{ key: recordKeys.config(subject ?? null), value: recordValues.config(level as CompatibilityLevel) }]);
        return { compatibility: level as CompatibilityLevel };
      });
    },

    deleteConfig(subject: string | undefined): Promise<{ compatibilityLevel: CompatibilityLevel }> {
      return serial(async () => {
        const previous = store.config(subject ?? null);
        if (subject !== undefined && !previous) throw err.configNotFound(subject);
        await log.append([{ key: recordKeys.config(subject ?? null), value: null }]);
        return { compatibilityLevel: previous ?? options.defaultLevel };
      });
    },
  };
}

/** The registry's operations, as returned by {@link createRegistryService}. */
export type RegistryService = ReturnType<typeof createRegistryService>;
