import { openApiDocument } from '../src/adapters/http/openapi';
import { startHarness, type Harness } from './harness';

type Op = { 'x-zenthos-scope'?: string; security?: { apiToken?: string[]; deviceToken?: string[] }[] };
const ROLLOUT = '00000000-0000-4000-8000-000000000000';
const concrete = (path: string): string =>
  path
    .replace('{kind}', 'firmware')
    .replace('{device_model}', 'esp32-s3')
    .replace('{version}', 'v1.0.0')
    .replace('{device_id}', 'matrix-dev')
    .replace('{rollout_id}', ROLLOUT)
    .replace('{delivery_id}', 'd-1');

// The matrix is read from the OpenAPI document, so a new management route is covered as soon as
// it is documented (and openapi.test.ts makes sure every route is).
const scopedRoutes = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
  Object.entries(ops as Record<string, Op>)
    .filter(([, op]) => op['x-zenthos-scope'])
    .map(([method, op]) => ({ method: method.toUpperCase(), path: concrete(path), scope: op['x-zenthos-scope'] as string })),
);

describe('management API', () => {
  let h: Harness;
  let deviceToken: string;
  beforeAll(async () => {
    h = await startHarness();
    deviceToken = (await h.ota.parts.devices.registerDevice({ id: 'matrix-dev', model: 'esp32-s3' })).token;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('covers every management route', () => {
    expect(scopedRoutes.length).toBeGreaterThanOrEqual(16);
    expect(scopedRoutes.map((r) => r.scope)).toEqual(expect.arrayContaining(['read', 'publish', 'rollback']));
  });

  describe.each(scopedRoutes)('$method $path needs $scope', ({ method, path, scope }) => {
    it.each([
      ['no token', undefined, 401],
      ['a malformed token', 'zt_nope', 401],
      ['an unknown token', `zt_${'A'.repeat(43)}`, 401],
    ])('refuses %s with 401', async (_why, token, status) => {
      const res = await h.call(method, path, token ? { token } : {});
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code: expect.stringMatching(/^ZEN_/) });
    });

    it.each(['read', 'publish', 'rollback'] as const)('with the %s scope', async (held) => {
      const res = await h.call(method, path, { token: h.tokens[held] });
      if (held === scope) {
        // Authorised: whatever the answer (404 for the stand-in ids, 400 for the empty body), it is not an auth failure.
        expect([401, 403]).not.toContain(res.status);
        expect(res.status).toBeLessThan(500);
      } else {
        expect(res.status).toBe(403);
        expect(await res.json()).toMatchObject({ code: 'ZEN_FORBIDDEN' });
      }
    });
  });

  it('refuses a device token, a revoked API token and a bad Authorization header on management routes', async () => {
    const device = await h.call('GET', '/releases', { token: deviceToken });
    expect(device.status).toBe(401);
    const created = await h.ota.parts.tokens.create('temp', 'read');
    expect((await h.call('GET', '/releases', { token: created.token })).status).toBe(200);
    await h.ota.parts.tokens.revoke(created.id);
    expect((await h.call('GET', '/releases', { token: created.token })).status).toBe(401);
    expect((await h.call('GET', '/releases', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
  });

  it('POST /devices registers a device and answers a token the device routes accept', async () => {
    const res = await h.call('POST', '/devices', {
      token: h.tokens.publish,
      json: { id: 'esp32-s3-001', model: 'esp32-s3', tags: ['lab'], owner: 'adrian' },
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { device_id: string; model: string; token: string };
    expect(body).toMatchObject({ device_id: 'esp32-s3-001', model: 'esp32-s3' });
    await expect(h.ota.parts.devices.verifyDeviceToken(body.token)).resolves.toMatchObject({ deviceId: 'esp32-s3-001' });

    expect((await h.call('POST', '/devices', { token: h.tokens.publish, json: { id: 'esp32-s3-001', model: 'esp32-s3' } })).status).toBe(
      409,
    );
    for (const bad of [
      {},
      { id: 'a/b', model: 'm' },
      { id: 'x', model: 'm', tags: 'lab' },
      { id: 'x', model: 'm', metadata: [1] },
      { id: 5, model: 'm' },
    ]) {
      const r = await h.call('POST', '/devices', { token: h.tokens.publish, json: bad });
      expect([bad, r.status]).toEqual([bad, 400]);
    }
    const list = (await (await h.call('GET', '/devices?tag=lab', { token: h.tokens.read })).json()) as { devices: { id: string }[] };
    expect(list.devices.map((d) => d.id)).toEqual(['esp32-s3-001']);

    const rotated = await h.call('POST', '/devices/esp32-s3-001/token', { token: h.tokens.publish });
    expect(rotated.status).toBe(201);
    await expect(h.ota.parts.devices.verifyDeviceToken(((await rotated.json()) as { token: string }).token)).resolves.toMatchObject({
      deviceId: 'esp32-s3-001',
    });
  });

  it('GET /device/{id}/status shows versions, OTA state, rollouts and online; a device sees only itself', async () => {
    const token = (await h.ota.parts.devices.registerDevice({ id: 'status-dev', model: 'esp32-s3' })).token;
    const before = (await (await h.call('GET', '/device/status-dev/status', { token: h.tokens.read })).json()) as Record<string, unknown>;
    expect(before).toMatchObject({
      device_id: 'status-dev',
      model: 'esp32-s3',
      online: false,
      last_seen: null,
      revoked: false,
      ota: null,
      rollouts: [],
    });

    const report = await h.call('POST', '/device/status-dev/ota-report', { token, json: { version: 'v1.0.0', state: 'installed' } });
    expect(report.status).toBe(202);
    expect(await report.json()).toEqual({ rollout_id: null, rollout_status: null, paused: false });
    const after = (await (await h.call('GET', '/device/status-dev/status', { token })).json()) as Record<string, unknown>;
    expect(after).toMatchObject({
      firmware_version: 'v1.0.0',
      online: true,
      ota: { kind: 'firmware', version: 'v1.0.0', state: 'installed' },
    });
    expect(typeof after.last_seen).toBe('string');

    for (const state of ['downloading', 'failed', 'downloading', 'rolled_back']) {
      await h.call('POST', '/device/status-dev/ota-report', { token, json: { version: 'v1.1.0', state } });
    }
    const retried = (await (await h.call('GET', '/device/status-dev/status', { token })).json()) as { ota: Record<string, unknown> };
    expect(retried.ota).toMatchObject({ version: 'v1.1.0', state: 'rolled_back', failed_attempts: 2 });
    await h.call('POST', '/device/status-dev/ota-report', { token, json: { version: 'v1.1.0', state: 'installed' } });
    const fixed = (await (await h.call('GET', '/device/status-dev/status', { token })).json()) as {
      ota: Record<string, unknown>;
      firmware_version: string;
    };
    expect(fixed).toMatchObject({ firmware_version: 'v1.1.0', ota: { state: 'installed', failed_attempts: 0 } });

    expect((await h.call('GET', '/device/matrix-dev/status', { token })).status).toBe(403);
    expect((await h.call('GET', '/device/status-dev/status')).status).toBe(401);
    expect((await h.call('GET', '/device/nobody/status', { token: h.tokens.read })).status).toBe(404);
  });

  it('POST /device/{id}/ota-report accepts only the device itself and valid reports', async () => {
    const token = (await h.ota.parts.devices.registerDevice({ id: 'reporter', model: 'esp32-s3' })).token;
    expect((await h.call('POST', '/device/reporter/ota-report', { json: { version: 'v1.0.0', state: 'installed' } })).status).toBe(401);
    expect((await h.call('POST', '/device/matrix-dev/ota-report', { token, json: { version: 'v1.0.0', state: 'installed' } })).status).toBe(
      403,
    );
    expect(
      (await h.call('POST', '/device/reporter/ota-report', { token: h.tokens.publish, json: { version: 'v1.0.0', state: 'installed' } }))
        .status,
    ).toBe(403);
    for (const bad of [
      { version: 'v1.0.0', state: 'exploded' },
      { state: 'installed' },
      { version: 'one', state: 'failed' },
      { kind: 'x', version: 'v1.0.0', state: 'failed' },
    ]) {
      const r = await h.call('POST', '/device/reporter/ota-report', { token, json: bad });
      expect([bad, r.status]).toEqual([bad, 400]);
    }
  });

  it('revocation: a revoked device is refused on device routes at once', async () => {
    const token = (await h.ota.parts.devices.registerDevice({ id: 'to-revoke', model: 'esp32-s3' })).token;
    expect((await h.call('GET', '/device/to-revoke/status', { token })).status).toBe(200);
    const res = await h.call('POST', '/devices/to-revoke/revoke', { token: h.tokens.rollback });
    expect(res.status).toBe(200);
    const refused = await h.call('GET', '/device/to-revoke/status', { token });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'ZEN_DEVICE_REVOKED' });
    expect((await h.call('GET', '/firmware/esp32-s3/latest', { token })).status).toBe(401);
    expect((await h.call('POST', '/devices/nobody/revoke', { token: h.tokens.rollback })).status).toBe(404);
  });

  it('a device token for one model may not fetch another model', async () => {
    const token = (await h.ota.parts.devices.registerDevice({ id: 'cam-dev', model: 'esp32-cam' })).token;
    const res = await h.call('GET', '/firmware/esp32-s3/latest', { token });
    expect(res.status).toBe(403);
  });

  it('serves /openapi.json and /metrics with zenthos_ota_requests_total by status', async () => {
    const doc = (await (await h.call('GET', '/openapi.json')).json()) as { openapi: string; paths: object };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/firmware/{device_model}/{version}');
    const text = await (await h.call('GET', '/metrics')).text();
    expect(text).toMatch(/^zenthos_ota_requests_total\{status="200"\} [1-9]\d*$/m);
    expect(text).toMatch(/^zenthos_ota_requests_total\{status="401"\} [1-9]\d*$/m);
    expect(text).toMatch(/^zenthos_ota_requests_total\{status="403"\} [1-9]\d*$/m);
  });
});
