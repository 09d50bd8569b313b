import { startHarness, type Harness } from './harness';

describe('the OTA API while Redis is unreachable', () => {
  let h: Harness;
  beforeAll(async () => {
    // Nothing listens on port 1: every cache operation fails at once.
    h = await startHarness({ REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('still publishes and resolves latest from Postgres, reports not ready and counts the cache errors', async () => {
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(100, 1))).status).toBe(201);
    const latest = await h.call('GET', '/firmware/esp32-s3/latest');
    expect(latest.status).toBe(200);
    expect(((await latest.json()) as { version: string }).version).toBe('v1.0.0');
    const ready = await h.call('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { postgres: 'ok', storage: 'ok' } });
    const text = await (await h.call('GET', '/metrics')).text();
    expect(Number(/^zenthos_ota_cache_errors_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
