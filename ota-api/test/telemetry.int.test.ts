import { initTelemetry, type Telemetry } from '@zenthos/telemetry';
import { startHarness, type Harness } from './harness';

describe('the OTA API with OpenTelemetry', () => {
  let h: Harness;
  let telemetry: Telemetry;
  beforeAll(async () => {
    // Nothing is exported (no OTLP endpoint); /metrics is rendered from the SDK's meter.
    telemetry = initTelemetry({ serviceName: 'ota-api', env: {}, registerGlobal: false });
    h = await startHarness({}, { telemetry });
  });
  afterAll(async () => {
    await h?.close();
    await telemetry?.shutdown();
  });

  it('counts requests as zenthos_ota_requests_total by status and route', async () => {
    await h.call('GET', '/health');
    await h.call('GET', '/firmware/esp32-s3/latest');
    await h.call('GET', '/releases');
    const text = await (await h.call('GET', '/metrics')).text();
    const series = text.split('\n').filter((l) => l.startsWith('zenthos_ota_requests_total{'));
    const find = (status: string, route: string) => series.find((l) => l.includes(`status="${status}"`) && l.includes(`route="${route}"`));
    expect(find('200', '/health')).toMatch(/ 1$/);
    expect(find('404', '/firmware/:device_model/:version')).toMatch(/ 1$/);
    expect(find('401', '/releases')).toMatch(/ 1$/);
    expect(text).toContain('# TYPE zenthos_ota_requests_total counter');
  });
});
