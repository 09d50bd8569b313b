import { createRegistryService } from '../domain/registry-service';
import { RegistryStore } from '../domain/registry-store';
import { createMemorySchemaLog } from './memory-schema-log';
import { REGISTRY_CONTENT_TYPE, startRegistryHttpServer, type RegistryHttpServer } from './registry-http';

/** Loose view of a JSON answer: any of Confluent's bodies. */
type Answer = { error_code?: number; message?: string; messages?: string[] } & Record<string, unknown>;

// The REST surface over an in-memory log: status codes, Confluent error codes and bodies.
describe('registry REST API (in-memory log)', () => {
  let server: RegistryHttpServer;
  let store: RegistryStore;
  let log: ReturnType<typeof createMemorySchemaLog>;
  let base: string;

  beforeEach(async () => {
    store = new RegistryStore();
    log = createMemorySchemaLog(store);
    server = await startRegistryHttpServer(createRegistryService({ store, log, defaultLevel: 'BACKWARD' }), { host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterEach(() => server.close());

  const call = async (method: string, path: string, body?: unknown, raw?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': REGISTRY_CONTENT_TYPE },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, type: res.headers.get('content-type'), body: json as Answer };
  };
  const schemaV1 = JSON.stringify({ type: 'record', name: 'T', fields: [{ name: 'a', type: 'int' }] });
  const schemaV2 = JSON.stringify({
    type: 'record',
    name: 'T',
    fields: [
      { name: 'a', type: 'int' },
      { name: 'b', type: 'string', default: '' },
    ],
  });

  it('registers, returns the same id again, and serves versions, ids and lookups', async () => {
    const first = await call('POST', '/subjects/s-value/versions', { schema: schemaV1 });
    expect(first).toMatchObject({ status: 200, type: REGISTRY_CONTENT_TYPE, body: { id: 1 } });
    expect((await call('POST', '/subjects/s-value/versions', { schema: ` ${schemaV1} ` })).body).toEqual({ id: 1 });
    expect((await call('POST', '/subjects/other-value/versions', { schema: schemaV1 })).body).toEqual({ id: 1 });
    expect((await call('POST', '/subjects/s-value/versions', { schema: schemaV2 })).body).toEqual({ id: 2 });
    expect((await call('GET', '/subjects')).body).toEqual(['other-value', 's-value']);
    expect((await call('GET', '/subjects/s-value/versions')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects/s-value/versions/latest')).body).toEqual({
      subject: 's-value',
      version: 2,
      id: 2,
      schema: schemaV2,
    });
    expect((await call('GET', '/subjects/s-value/versions/1/schema')).body).toEqual(JSON.parse(schemaV1));
    expect((await call('GET', '/schemas/ids/2')).body).toEqual({ schema: schemaV2 });
    expect((await call('GET', '/schemas/ids/1/versions')).body).toEqual([
      { subject: 'other-value', version: 1 },
      { subject: 's-value', version: 1 },
    ]);
    expect((await call('POST', '/subjects/s-value', { schema: schemaV1 })).body).toMatchObject({ subject: 's-value', version: 1, id: 1 });
    expect((await call('GET', '/schemas/types')).body).toEqual(['AVRO']);
    // Records are in Confluent's format.
    expect(log.records[0]).toEqual({
      key: '{"keytype":"SCHEMA","subject":"s-value","version":1,"magic":1}',
      value: `{"subject":"s-value","version":1,"id":1,"schema":${JSON.stringify(schemaV1)},"deleted":false}`,
    });
  });

  it.each([
    ['invalid Avro JSON', 'POST', '/subjects/s/versions', { schema: '{"type":"record","name":"X"}' }, undefined, 422, 42201],
    ['not JSON at all in schema', 'POST', '/subjects/s/versions', { schema: '{nope' }, undefined, 422, 42201],
    ['an empty schema', 'POST', '/subjects/s/versions', { schema: '' }, undefined, 422, 42201],
    ['a malformed body', 'POST', '/subjects/s/versions', undefined, '{"schema":', 400, 400],
    ['a body that is not an object', 'POST', '/subjects/s/versions', [1, 2], undefined, 422, 422],
    ['an empty body', 'POST', '/subjects/s/versions', undefined, '', 422, 422],
    ['a non-Avro schema type', 'POST', '/subjects/s/versions', { schema: '{}', schemaType: 'PROTOBUF' }, undefined, 422, 42201],
    ['an unknown subject', 'GET', '/subjects/nope/versions', undefined, undefined, 404, 40401],
    ['an unknown subject version', 'GET', '/subjects/nope/versions/1', undefined, undefined, 404, 40401],
    ['a bad version', 'GET', '/subjects/nope/versions/abc', undefined, undefined, 422, 42202],
    ['an unknown id', 'GET', '/schemas/ids/999', undefined, undefined, 404, 40403],
    ['an unknown route', 'GET', '/nothing/here', undefined, undefined, 404, 404],
    ['a wrong method', 'PATCH', '/subjects', undefined, undefined, 405, 405],
    ['a bad compatibility level', 'PUT', '/config', { compatibility: 'SIDEWAYS' }, undefined, 422, 42203],
    ['a subject without own config', 'GET', '/config/nope', undefined, undefined, 404, 40408],
  ])('answers %s with a coded error', async (_name, method, path, body, raw, status, code) => {
    const res = await call(method, path, body, raw);
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error_code: code, message: expect.any(String) });
    expect(res.type).toBe(REGISTRY_CONTENT_TYPE);
  });

  it('serves /health, /ready and /metrics beside the Confluent routes', async () => {
    expect((await call('GET', '/health')).body).toMatchObject({ status: 'ok' });
    expect((await call('GET', '/ready')).status).toBe(200);
    await call('GET', '/subjects/none/versions');
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    expect(metrics).toContain('zenthos_schema_registry_requests_total{status="404"} 1');
  });

  it('answers an unknown version of a known subject with 40402', async () => {
    await call('POST', '/subjects/s/versions', { schema: schemaV1 });
    expect((await call('GET', '/subjects/s/versions/7')).body.error_code).toBe(40402);
    expect((await call('POST', '/subjects/s', { schema: schemaV2 })).body.error_code).toBe(40403);
  });

  it('refuses an incompatible schema with 409 naming the field, and tests compatibility', async () => {
    await call('POST', '/subjects/s/versions', { schema: schemaV1 });
    const bad = JSON.stringify({
      type: 'record',
      name: 'T',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'c', type: 'string' },
      ],
    });
    const refused = await call('POST', '/subjects/s/versions', { schema: bad });
    expect(refused.status).toBe(409);
    expect(refused.body.error_code).toBe(409);
    expect(refused.body.message).toContain("'c'");
    expect((await call('POST', '/compatibility/subjects/s/versions/latest', { schema: bad })).body).toEqual({ is_compatible: false });
    const verbose = await call('POST', '/compatibility/subjects/s/versions/latest?verbose=true', { schema: bad });
    expect(verbose.body.messages?.[0]).toContain('READER_FIELD_MISSING_DEFAULT_VALUE');
    expect((await call('POST', '/compatibility/subjects/s/versions/1', { schema: schemaV2 })).body).toEqual({ is_compatible: true });
    expect((await call('PUT', '/config/s', { compatibility: 'NONE' })).body).toEqual({ compatibility: 'NONE' });
    expect((await call('POST', '/subjects/s/versions', { schema: bad })).body).toEqual({ id: 2 });
    expect((await call('GET', '/config/s')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('GET', '/config')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect((await call('DELETE', '/config/s')).body).toEqual({ compatibilityLevel: 'NONE' });
    expect((await call('GET', '/config/s?defaultToGlobal=true')).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('soft-deletes, hides, permanently deletes, and keeps ids for re-registration', async () => {
    await call('POST', '/subjects/s/versions', { schema: schemaV1 });
    await call('POST', '/subjects/s/versions', { schema: schemaV2 });
    expect((await call('DELETE', '/subjects/s?permanent=true')).body.error_code).toBe(40405);
    expect((await call('DELETE', '/subjects/s/versions/1')).body).toBe(1);
    expect((await call('GET', '/subjects/s/versions')).body).toEqual([2]);
    expect((await call('GET', '/subjects/s/versions?deleted=true')).body).toEqual([1, 2]);
    expect((await call('DELETE', '/subjects/s/versions/1')).body.error_code).toBe(40406);
    expect((await call('DELETE', '/subjects/s/versions/2?permanent=true')).body.error_code).toBe(40407);
    expect((await call('DELETE', '/subjects/s')).body).toEqual([2]);
    expect((await call('GET', '/subjects')).body).toEqual([]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(['s']);
    expect((await call('DELETE', '/subjects/s')).body.error_code).toBe(40404);
    expect((await call('GET', '/schemas/ids/1')).status).toBe(200);
    expect((await call('DELETE', '/subjects/s?permanent=true')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual([]);
    expect((await call('GET', '/schemas/ids/1')).body.error_code).toBe(40403);
    // Ids are never handed out twice while the log remembers them; a new schema gets a new id.
    expect((await call('POST', '/subjects/s/versions', { schema: schemaV2 })).body).toEqual({ id: 3 });
  });

  it('hands out distinct ids to concurrent registrations and one id to concurrent duplicates', async () => {
    await call('PUT', '/config', { compatibility: 'NONE' });
    const distinct = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call('POST', `/subjects/c${i % 3}/versions`, { schema: JSON.stringify({ type: 'fixed', name: `F${i}`, size: 4 }) }),
      ),
    );
    expect(new Set(distinct.map((r) => r.body.id)).size).toBe(10);
    const same = await Promise.all(Array.from({ length: 5 }, () => call('POST', '/subjects/dup/versions', { schema: '"string"' })));
    expect(new Set(same.map((r) => r.body.id)).size).toBe(1);
    expect((await call('GET', '/subjects/dup/versions')).body).toEqual([1]);
  });

  it('rebuilds the same state from its records (restart)', async () => {
    await call('POST', '/subjects/a/versions', { schema: schemaV1 });
    await call('POST', '/subjects/b/versions', { schema: schemaV2 });
    await call('PUT', '/config/b', { compatibility: 'FULL' });
    await call('DELETE', '/subjects/a');
    const replayed = new RegistryStore();
    for (const r of log.records) replayed.apply(r);
    expect(replayed.subjectNames(true)).toEqual(store.subjectNames(true));
    expect(replayed.versions('b')).toEqual(store.versions('b'));
    expect(replayed.versions('a', true)).toEqual(store.versions('a', true));
    expect(replayed.config('b')).toBe('FULL');
    expect(replayed.nextId()).toBe(store.nextId());
  });
});
