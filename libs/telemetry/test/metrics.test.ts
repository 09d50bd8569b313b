import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpsServer, type OpsServer } from '@zenthos/core';
import { initTelemetry, metricNames, metricOptions, prometheusNames, prometheusSeriesNames, type MetricKey, type Telemetry } from '../src';

// Records one value on every Zenthos metric, each with the instrument its definition names.
const recordAll = (telemetry: Telemetry): void => {
  const { meter } = telemetry;
  for (const key of Object.keys(metricNames) as MetricKey[]) {
    const { kind, ...options } = metricOptions[key];
    const name = metricNames[key];
    const labels = { service_part: key, reason: 'value with "quotes", \\ and\nnewline' };
    if (kind === 'counter') meter.createCounter(name, options).add(2, labels);
    else if (kind === 'updowncounter') meter.createUpDownCounter(name, options).add(-1, labels);
    else if (kind === 'histogram') {
      const h = meter.createHistogram(name, options);
      for (const v of [3, 40, 1200]) h.record(v, labels);
    } else meter.createObservableGauge(name, options).addCallback((r) => r.observe(0.25, labels));
  }
};

const prometheusType = { counter: 'counter', updowncounter: 'gauge', gauge: 'gauge', histogram: 'histogram' } as const;

describe('/metrics of a service using @zenthos/telemetry', () => {
  let telemetry: Telemetry;
  let ops: OpsServer;
  let text: string;

  beforeAll(async () => {
    telemetry = initTelemetry({ serviceName: 'metrics-test', env: {}, registerGlobal: false });
    recordAll(telemetry);
    ops = await createOpsServer({ port: 0, host: '127.0.0.1', metrics: telemetry.metricsText });
    const res = await fetch(`http://127.0.0.1:${ops.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    text = await res.text();
  });

  afterAll(async () => {
    await ops.close();
    await telemetry.shutdown();
  });

  it('passes promtool check metrics (format and lint)', () => {
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(run.error).toBeUndefined();
    expect({ status: run.status, out: `${run.stdout}${run.stderr}` }).toEqual({ status: 0, out: '' });
  });

  it.each(Object.keys(metricNames) as MetricKey[])('exposes %s under its documented Prometheus name and type', (key) => {
    const name = prometheusNames[key];
    expect(text).toContain(`# TYPE ${name} ${prometheusType[metricOptions[key].kind]}\n`);
  });

  it('exposes exactly the series names prometheusSeriesNames() lists (plus target_info)', () => {
    const series = new Set(
      text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/)[0]),
    );
    expect([...series].sort()).toEqual(['target_info', ...prometheusSeriesNames()].sort());
  });

  it('follows the documented rules: dots to underscores, _total once, ms histograms in seconds', () => {
    expect(prometheusNames.messagesIngested).toBe('zenthos_middleware_messages_ingested_total');
    expect(prometheusNames.otaRequests).toBe('zenthos_ota_requests_total');
    expect(prometheusNames.ingestLatencyMs).toBe('zenthos_middleware_ingest_latency_seconds');
    expect(prometheusNames.workerProcessingTimeMs).toBe('zenthos_worker_processing_time_seconds');
    expect(prometheusNames.consumerLag).toBe('zenthos_kafka_consumer_lag');
    // 3 + 40 + 1200 ms recorded: the seconds histogram sums 1.243 and puts 40 ms under le=0.05.
    const lat = (suffix: string) =>
      new RegExp(`^zenthos_middleware_ingest_latency_seconds_${suffix}\\{[^}]*service_part="ingestLatencyMs"[^}]*\\} (\\S+)$`, 'm');
    expect(Number(text.match(lat('sum'))?.[1])).toBeCloseTo(1.243, 6);
    expect(text).toMatch(/^zenthos_middleware_ingest_latency_seconds_bucket\{[^}]*le="0\.05"\} 2$/m);
    expect(text).toMatch(/^zenthos_middleware_ingest_latency_seconds_bucket\{[^}]*le="\+Inf"\} 3$/m);
  });

  it('labels the target with the service name', () => {
    expect(text).toMatch(/^target_info\{[^}]*service_name="metrics-test"/m);
  });
});

describe('/metrics before anything is recorded', () => {
  it('still passes promtool check metrics', async () => {
    const telemetry = initTelemetry({ serviceName: 'idle-service', env: {}, registerGlobal: false });
    try {
      const text = await telemetry.metricsText();
      expect(text.endsWith('\n')).toBe(true);
      const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: run.status, out: `${run.stdout}${run.stderr}` }).toEqual({ status: 0, out: '' });
    } finally {
      await telemetry.shutdown();
    }
  });
});

describe('README metric table', () => {
  it('lists every metric with its OpenTelemetry and Prometheus names', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\w+)` \| `([\w.]+)` \| [^|]+ \| `(\w+)` \|$/gm)].map((m) => [m[1], m[2], m[3]]);
    const expected = (Object.keys(metricNames) as MetricKey[]).map((k) => [k, metricNames[k], prometheusNames[k]]);
    expect(rows).toEqual(expected);
  });
});
