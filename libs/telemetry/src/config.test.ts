import { loadTelemetrySettings, parseKeyValueList } from './config';

describe('loadTelemetrySettings', () => {
  it('exports nothing without an endpoint', () => {
    const s = loadTelemetrySettings('bridge', {});
    expect(s).toMatchObject({ serviceName: 'bridge', sampler: 'parentbased_always_on' });
    expect([s.traces, s.metrics, s.logs]).toEqual([undefined, undefined, undefined]);
  });

  it('appends /v1/<signal> to the generic endpoint and uses signal endpoints as they are', () => {
    const s = loadTelemetrySettings('bridge', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://loki:3100/otlp/v1/logs',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc,x-tenant=zen',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=traces',
    });
    expect(s.traces).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/json',
      headers: { authorization: 'Bearer abc', 'x-tenant': 'traces' },
      timeoutMs: 10_000,
    });
    expect(s.metrics?.url).toBe('http://collector:4318/v1/metrics');
    expect(s.logs?.url).toBe('http://loki:3100/otlp/v1/logs');
  });

  it('turns single signals off', () => {
    const s = loadTelemetrySettings('bridge', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    });
    expect([Boolean(s.traces), Boolean(s.metrics), Boolean(s.logs)]).toEqual([true, false, false]);
  });

  it('OTEL_SDK_DISABLED stops all export and sampling', () => {
    const s = loadTelemetrySettings('bridge', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' });
    expect([s.traces, s.metrics, s.logs, s.sampler]).toEqual([undefined, undefined, undefined, 'always_off']);
  });

  it('prefers OTEL_SERVICE_NAME, then service.name from OTEL_RESOURCE_ATTRIBUTES', () => {
    expect(loadTelemetrySettings('bridge', { OTEL_RESOURCE_ATTRIBUTES: 'service.name=b2,deployment.environment=dev' }).serviceName).toBe(
      'b2',
    );
    expect(loadTelemetrySettings('bridge', { OTEL_SERVICE_NAME: 'b3', OTEL_RESOURCE_ATTRIBUTES: 'service.name=b2' }).serviceName).toBe(
      'b3',
    );
  });

  it('names every bad variable in one error and ignores unrelated ones', () => {
    let message = '';
    let code = '';
    try {
      loadTelemetrySettings('bridge', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        PATH: '/bin',
      });
    } catch (err) {
      message = (err as Error).message;
      code = (err as { code?: string }).code ?? '';
    }
    expect(code).toBe('ZEN_CONFIG_INVALID');
    for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_TRACES_SAMPLER', 'OTEL_EXPORTER_OTLP_PROTOCOL'])
      expect(message).toContain(name);
    expect(message).not.toContain('PATH');
  });
});

describe('parseKeyValueList', () => {
  it.each([
    ['', {}],
    ['a=1', { a: '1' }],
    [' a = 1 , b=x%2Cy ,broken, =v', { a: '1', b: 'x,y' }],
  ])('%j', (text, expected) => expect(parseKeyValueList(text)).toEqual(expected));
});
