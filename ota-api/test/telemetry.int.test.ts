import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
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

  it('exports rollout progress, devices per rollout state and devices per firmware version', async () => {
    const ids = ['g-1', 'g-2', 'g-3'];
    const tokens = new Map<string, string>();
    for (const id of ids)
      tokens.set(id, (await h.ota.parts.devices.registerDevice({ id, model: 'esp32-g', firmwareVersion: 'v1.0.0' })).token);
    expect((await h.publish({ device_model: 'esp32-g', version: 'v2.0.0' }, Buffer.alloc(10, 1))).status).toBe(201);
    const created = await h.call('POST', '/rollouts', {
      token: h.tokens.publish,
      json: {
        device_model: 'esp32-g',
        version: 'v2.0.0',
        cohort: { type: 'devices', deviceIds: ids },
        stages: [{ percent: 100, failureThreshold: 1 }],
      },
    });
    const rollout = (await created.json()) as { id: string };
    await h.call('POST', '/device/g-1/ota-report', { token: tokens.get('g-1') as string, json: { version: 'v2.0.0', state: 'installed' } });
    await h.call('POST', '/device/g-2/ota-report', { token: tokens.get('g-2') as string, json: { version: 'v2.0.0', state: 'failed' } });

    const text = await (await h.call('GET', '/metrics')).text();
    const value = (name: string, ...labels: string[]): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(x)));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    expect(value('zenthos_ota_rollout_progress', `rollout_id="${rollout.id}"`)).toBeCloseTo(1 / 3);
    expect(value('zenthos_ota_rollout_devices', `rollout_id="${rollout.id}"`, 'state="installed"')).toBe(1);
    expect(value('zenthos_ota_rollout_devices', `rollout_id="${rollout.id}"`, 'state="failed"')).toBe(1);
    expect(value('zenthos_ota_rollout_devices', `rollout_id="${rollout.id}"`, 'state="pending"')).toBe(1);
    expect(value('zenthos_fleet_devices_by_firmware', 'device_model="esp32-g"', 'firmware_version="v1.0.0"')).toBe(2);
    expect(value('zenthos_fleet_devices_by_firmware', 'device_model="esp32-g"', 'firmware_version="v2.0.0"')).toBe(1);
  });

  it('records one span per request, named by route, with method and status', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const traced = await startHarness({}, { tracer: provider.getTracer('ota-test') });
    try {
      await traced.call('GET', '/health');
      await traced.call('GET', '/firmware/esp32-s3/latest');
      await traced.call('GET', '/nowhere');
      const spans = exporter.getFinishedSpans().map((s) => [s.name, s.attributes['http.response.status_code'], s.attributes['http.route']]);
      expect(spans).toEqual([
        ['ota GET /health', 200, '/health'],
        ['ota GET /firmware/:device_model/:version', 404, '/firmware/:device_model/:version'],
        ['ota GET unmatched', 404, 'unmatched'],
      ]);
    } finally {
      await traced.close();
      await provider.shutdown();
    }
  });
});
