import { PassThrough } from 'node:stream';
import { createLogger } from '@zenthos/core';
import { initTelemetry, traced, type Telemetry } from '../src';

describe('logs of a service using @zenthos/telemetry', () => {
  let telemetry: Telemetry;
  beforeAll(() => {
    telemetry = initTelemetry({ serviceName: 'logs-test', env: {} });
  });
  afterAll(() => telemetry.shutdown());

  it('are JSON lines carrying trace_id and span_id inside a span, and neither outside', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const log = createLogger({ service: 'logs-test', mixin: telemetry.logMixin, destination: out });

    log.info('before');
    const inner = await traced(telemetry.tracer, 'middleware.handle', {}, async (span) => {
      await new Promise((resolve) => setImmediate(resolve)); // the context survives an async hop
      log.info({ device_id: 'dev-1' }, 'inside');
      return span.spanContext();
    });
    log.info('after');
    await new Promise((resolve) => setImmediate(resolve));

    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.msg)).toEqual(['before', 'inside', 'after']);
    expect(records[1]).toMatchObject({
      service: 'logs-test',
      level: 'info',
      device_id: 'dev-1',
      trace_id: inner.traceId,
      span_id: inner.spanId,
      trace_flags: '01',
    });
    expect(inner.traceId).toMatch(/^[0-9a-f]{32}$/);
    for (const r of [records[0], records[2]]) expect(r).not.toHaveProperty('trace_id');
  });
});
