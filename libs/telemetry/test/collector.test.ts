import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

// `otelcol` is not available here: the configuration is parsed and checked for what the
// collector would reject (undefined components) and for what Zenthos needs (three pipelines,
// OTLP/HTTP where the services send, the backends compose runs).
const compose = join(__dirname, '..', '..', '..', 'compose');
const read = (file: string): Record<string, unknown> =>
  parse(readFileSync(join(compose, file), 'utf8'), { merge: true }) as Record<string, unknown>;

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface CollectorConfig {
  receivers: Record<string, { protocols?: { grpc?: { endpoint: string }; http?: { endpoint: string } } }>;
  processors?: Record<string, unknown>;
  exporters: Record<string, { endpoint?: string }>;
  extensions?: Record<string, unknown>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const config = read('otel-collector.yaml') as unknown as CollectorConfig;
const scrapeTargets = (): string[] =>
  (read('prometheus.yml') as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> }).scrape_configs.flatMap((s) =>
    s.static_configs.flatMap((c) => c.targets),
  );
const componentType = (id: string): string => id.split('/')[0]!;

describe('compose/otel-collector.yaml', () => {
  it('has traces, metrics and logs pipelines fed by the OTLP receiver', () => {
    expect(Object.keys(config.service.pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const p of Object.values(config.service.pipelines)) expect(p.receivers).toEqual(['otlp']);
  });

  it('defines every receiver, processor, exporter and extension a pipeline names', () => {
    for (const [name, p] of Object.entries(config.service.pipelines)) {
      for (const r of p.receivers) expect({ name, r, defined: r in config.receivers }).toEqual({ name, r, defined: true });
      for (const x of p.processors ?? []) expect({ name, x, defined: x in (config.processors ?? {}) }).toEqual({ name, x, defined: true });
      for (const e of p.exporters) expect({ name, e, defined: e in config.exporters }).toEqual({ name, e, defined: true });
    }
    for (const ext of config.service.extensions ?? []) expect(Object.keys(config.extensions ?? {})).toContain(ext);
  });

  it('runs memory_limiter first and batch last in every pipeline (collector guidance)', () => {
    for (const p of Object.values(config.service.pipelines)) {
      expect(p.processors?.[0]).toBe('memory_limiter');
      expect(p.processors?.at(-1)).toBe('batch');
    }
  });

  it('routes traces to Tempo, metrics to Prometheus, logs to Loki', () => {
    const { traces, metrics, logs } = config.service.pipelines;
    expect(traces?.exporters.map((e) => config.exporters[e]?.endpoint)).toEqual(['tempo:4317']);
    expect(metrics?.exporters.map(componentType)).toEqual(['prometheus']);
    expect(logs?.exporters.map((e) => config.exporters[e]?.endpoint)).toEqual(['http://loki:3100/otlp']);
  });

  it('listens for OTLP/HTTP where the services send it, and Prometheus scrapes its exporter', () => {
    const services = (read('docker-compose.yml') as { services: Record<string, { environment?: Record<string, string> }> }).services;
    expect(services.bridge?.environment?.OTEL_EXPORTER_OTLP_ENDPOINT).toBe('http://otel-collector:4318');
    expect(config.receivers.otlp?.protocols?.http?.endpoint).toBe('0.0.0.0:4318');
    const promPort = config.exporters.prometheus?.endpoint?.split(':').at(-1);
    expect(scrapeTargets()).toContain(`otel-collector:${promPort}`);
  });

  it('scrapes every Zenthos service of docker-compose.yml on the port its health check uses', () => {
    type Service = { build?: unknown; healthcheck?: { test?: string[] } };
    const services = Object.entries((read('docker-compose.yml') as { services: Record<string, Service> }).services).filter(
      ([, s]) => s.build,
    );
    expect(services.length).toBeGreaterThanOrEqual(7);
    const expected = services.map(([name, s]) => `${name}:${/localhost:(\d+)\/health/.exec((s.healthcheck?.test ?? []).join(' '))?.[1]}`);
    expect(scrapeTargets()).toEqual(expect.arrayContaining(expected));
  });

  it("matches Tempo's OTLP gRPC receiver", () => {
    const tempo = read('tempo.yaml') as { distributor: { receivers: { otlp: { protocols: { grpc: { endpoint: string } } } } } };
    expect(tempo.distributor.receivers.otlp.protocols.grpc.endpoint.split(':').at(-1)).toBe('4317');
  });
});
