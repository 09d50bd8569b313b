import { ZenthosError } from '@zenthos/core';
import { codeForRegistryError, RegistryError } from '../errors';
import type { CompatibilityLevel, CompatibilityResult, SchemaRegistryClient, SubjectVersion } from '../domain/registry-port';

/** Settings of the HTTP registry client. */
export interface HttpRegistryClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8081 (SCHEMA_REGISTRY_URL). May carry user:password for basic auth. */
  readonly url: string;
  /** Time limit of one request. */
  readonly timeoutMs?: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/**
 * A client of the Confluent Schema Registry REST API over `fetch`. It uses only the standard
 * routes and content types, so it works with any compatible registry.
 */
export function createHttpRegistryClient(options: HttpRegistryClientOptions): SchemaRegistryClient {
  const base = new URL(options.url);
  const auth = base.username
    ? `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`
    : undefined;
  base.username = '';
  base.password = '';
  const root = base.toString().replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const enc = encodeURIComponent;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['content-type'] = CONTENT_TYPE;
    if (auth) headers.authorization = auth;
    let res: Response;
    try {
      res = await fetch(`${root}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new ZenthosError('ZEN_SCHEMA_REGISTRY_FAILED', `schema registry ${root} unreachable: ${(err as Error).message}`, true, {
        cause: err,
      });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const errBody = (parsed ?? {}) as { error_code?: unknown; message?: unknown };
      const registryCode = typeof errBody.error_code === 'number' ? errBody.error_code : res.status;
      const message = typeof errBody.message === 'string' ? errBody.message : text.slice(0, 200);
      const code = codeForRegistryError(res.status, registryCode);
      throw new RegistryError(
        code,
        `${method} ${path}: ${res.status} ${registryCode} ${message}`,
        res.status,
        registryCode,
        res.status >= 500,
      );
    }
    return parsed as T;
  }

  const toVersion = (v: { subject: string; version: number; id: number; schema: string }): SubjectVersion => ({
    subject: v.subject,
    version: v.version,
    id: v.id,
    schema: v.schema,
  });

  return {
    async getSchemaById(id) {
      try {
        return (await call<{ schema: string }>('GET', `/schemas/ids/${id}`)).schema;
      } catch (err) {
        if (err instanceof RegistryError && err.status === 404) {
          throw new RegistryError('ZEN_SCHEMA_UNKNOWN_ID', `no schema with id ${id}`, err.status, err.registryErrorCode);
        }
        throw err;
      }
    },
    async register(subject, schema) {
      return (await call<{ id: number }>('POST', `/subjects/${enc(subject)}/versions`, { schema })).id;
    },
    async lookup(subject, schema) {
      return toVersion(await call('POST', `/subjects/${enc(subject)}`, { schema }));
    },
    async getVersion(subject, version) {
      return toVersion(await call('GET', `/subjects/${enc(subject)}/versions/${version}`));
    },
    listSubjects: () => call<string[]>('GET', '/subjects'),
    listVersions: (subject) => call<number[]>('GET', `/subjects/${enc(subject)}/versions`),
    async testCompatibility(subject, schema, version = 'latest'): Promise<CompatibilityResult> {
      const res = await call<{ is_compatible: boolean; messages?: string[] }>(
        'POST',
        `/compatibility/subjects/${enc(subject)}/versions/${version}?verbose=true`,
        { schema },
      );
      return { isCompatible: res.is_compatible, messages: res.messages ?? [] };
    },
    async getCompatibility(subject) {
      const path = subject === undefined ? '/config' : `/config/${enc(subject)}?defaultToGlobal=true`;
      return (await call<{ compatibilityLevel: CompatibilityLevel }>('GET', path)).compatibilityLevel;
    },
    async setCompatibility(level, subject) {
      await call('PUT', subject === undefined ? '/config' : `/config/${enc(subject)}`, { compatibility: level });
    },
    deleteSubject: (subject, permanent = false) =>
      call<number[]>('DELETE', `/subjects/${enc(subject)}${permanent ? '?permanent=true' : ''}`),
  };
}
