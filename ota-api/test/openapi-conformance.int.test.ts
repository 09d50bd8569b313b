import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../src/adapters/http/openapi';
import { startHarness, type Harness } from './harness';

// The served document is the schema source: requests the tests send and answers the API gives
// must validate against it.
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addFormat('binary', true);
ajv.addSchema(openApiDocument as unknown as object, 'openapi');

type Op = {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
};
const op = (method: string, path: string): Op =>
  (openApiDocument.paths as unknown as Record<string, Record<string, Op>>)[path]![method.toLowerCase()]!;
const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
const check = (schema: object | undefined, value: unknown): string[] => {
  if (!schema) return ['no schema documented'];
  // $refs in the document point into it ("#/components/..."): resolve them against "openapi".
  const text = JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/');
  let validate = compiled.get(text);
  if (!validate) {
    validate = ajv.compile(JSON.parse(text) as object);
    compiled.set(text, validate);
  }
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
};
const requestErrors = (method: string, path: string, body: unknown): string[] =>
  check(op(method, path).requestBody?.content['application/json']?.schema, body);
const responseErrors = (method: string, path: string, status: number, body: unknown): string[] =>
  check(op(method, path).responses[String(status)]?.content?.['application/json']?.schema, body);

describe('requests and answers conform to /openapi.json', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('device registration, reports and status', async () => {
    const device = { id: 'oa-dev', model: 'esp32-s3', tags: ['lab'], owner: 'o', metadata: { site: 'x' } };
    expect(requestErrors('POST', '/devices', device)).toEqual([]);
    const res = await h.call('POST', '/devices', { token: h.tokens.publish, json: device });
    const registered = (await res.json()) as { token: string };
    expect(responseErrors('POST', '/devices', res.status, registered)).toEqual([]);

    const bad = { id: 5, model: 'esp32-s3' };
    expect(requestErrors('POST', '/devices', bad)).not.toEqual([]);
    const refused = await h.call('POST', '/devices', { token: h.tokens.publish, json: bad });
    expect(refused.status).toBe(400);
    expect(responseErrors('POST', '/devices', 400, await refused.json())).toEqual([]);

    const tags = { tags: ['lab', 'beta'] };
    expect(requestErrors('PATCH', '/devices/{device_id}', tags)).toEqual([]);
    expect(requestErrors('PATCH', '/devices/{device_id}', { ...tags, owner: 'x' })).not.toEqual([]);
    const patched = await h.call('PATCH', '/devices/oa-dev', { token: h.tokens.publish, json: tags });
    expect(patched.status).toBe(200);
    expect(responseErrors('PATCH', '/devices/{device_id}', 200, await patched.json())).toEqual([]);
    const unknown = await h.call('PATCH', '/devices/nobody', { token: h.tokens.publish, json: tags });
    expect(responseErrors('PATCH', '/devices/{device_id}', unknown.status, await unknown.json())).toEqual([]);

    const report = { kind: 'firmware', version: 'v1.0.0', state: 'installed' };
    expect(requestErrors('POST', '/device/{device_id}/ota-report', report)).toEqual([]);
    expect(requestErrors('POST', '/device/{device_id}/ota-report', { version: 'v1.0.0', state: 'exploded' })).not.toEqual([]);
    const r = await h.call('POST', '/device/oa-dev/ota-report', { token: registered.token, json: report });
    expect(responseErrors('POST', '/device/{device_id}/ota-report', r.status, await r.json())).toEqual([]);
  });

  it('releases, metadata and rollouts', async () => {
    const pub = await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(64, 1));
    expect(responseErrors('POST', '/releases', pub.status, await pub.json())).toEqual([]);
    const meta = await h.call('GET', '/firmware/esp32-s3/latest');
    expect(responseErrors('GET', '/firmware/{device_model}/{version}', meta.status, await meta.json())).toEqual([]);
    const missing = await h.call('GET', '/models/esp32-s3/latest');
    expect(responseErrors('GET', '/models/{device_model}/{version}', missing.status, await missing.json())).toEqual([]);
    const list = await h.call('GET', '/releases', { token: h.tokens.read });
    expect(responseErrors('GET', '/releases', list.status, await list.json())).toEqual([]);

    const rollout = {
      device_model: 'esp32-s3',
      version: 'v1.0.0',
      cohort: { type: 'percentage', percent: 20 },
      stages: [{ percent: 50, failureThreshold: 0.1, minDevices: 3 }, { percent: 100 }],
    };
    expect(requestErrors('POST', '/rollouts', rollout)).toEqual([]);
    expect(requestErrors('POST', '/rollouts', { ...rollout, cohort: { type: 'everyone' } })).not.toEqual([]);
    const created = await h.call('POST', '/rollouts', { token: h.tokens.publish, json: rollout });
    const body = (await created.json()) as { id: string };
    expect(responseErrors('POST', '/rollouts', created.status, body)).toEqual([]);
    const paused = await h.call('POST', `/rollouts/${body.id}/pause`, { token: h.tokens.rollback });
    expect(responseErrors('POST', '/rollouts/{rollout_id}/pause', paused.status, await paused.json())).toEqual([]);

    const health = await h.call('GET', '/health');
    expect(responseErrors('GET', '/health', health.status, await health.json())).toEqual([]);
  });
});
