import { PassThrough } from 'node:stream';
import { SpanKind, context } from '@opentelemetry/api';
import { createLogger } from '@zenthos/core';
import {
  extractTraceContext,
  initTelemetry,
  injectTraceHeaders,
  metricNames,
  metricOptions,
  spanNames,
  traced,
  type Telemetry,
} from '../src';
import { attribute, startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';

describe('OTLP/HTTP export to a receiver', () => {
  let receiver: OtlpReceiver;
  let bridge: Telemetry;
  let sink: Telemetry;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
    // Two services in one process: the first owns the globals (context manager), the second not.
    bridge = initTelemetry({ serviceName: 'test-bridge', env, logOutput: new PassThrough() });
    sink = initTelemetry({ serviceName: 'test-sink', env, registerGlobal: false });
  });

  afterAll(async () => {
    await Promise.all([bridge?.shutdown(), sink?.shutdown()]);
    await receiver?.close();
  });

  it('carries one trace id from a parent span to a child in another service through message headers', async () => {
    // Kafka delivers header values as Buffers: turn the injected strings into Buffers on the way.
    let kafkaHeaders: Record<string, Buffer> = {};
    const parent = await traced(bridge.tracer, spanNames.mqttReceive, { kind: SpanKind.CONSUMER }, async (span) => {
      await traced(bridge.tracer, spanNames.kafkaProduce, { kind: SpanKind.PRODUCER }, () => {
        const headers = injectTraceHeaders(context.active());
        kafkaHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
      });
      return span.spanContext();
    });
    expect(Object.keys(kafkaHeaders)).toContain('traceparent');

    await traced(sink.tracer, spanNames.dbWrite, { kind: SpanKind.CLIENT }, () => undefined, extractTraceContext(kafkaHeaders));
    await Promise.all([bridge.forceFlush(), sink.forceFlush()]);

    const requests = receiver.requests.filter((r) => r.path === '/v1/traces');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.contentType?.startsWith('application/json'))).toBe(true);

    const spans = receiver.spans().filter((s) => s.traceId === parent.traceId);
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual([spanNames.dbWrite, spanNames.kafkaProduce, spanNames.mqttReceive].sort());
    expect(byName[spanNames.mqttReceive]).toMatchObject({ spanId: parent.spanId, serviceName: 'test-bridge' });
    expect(byName[spanNames.mqttReceive]?.parentSpanId ?? '').toBe('');
    expect(byName[spanNames.kafkaProduce]).toMatchObject({ parentSpanId: parent.spanId, serviceName: 'test-bridge' });
    expect(byName[spanNames.dbWrite]).toMatchObject({ parentSpanId: byName[spanNames.kafkaProduce]?.spanId, serviceName: 'test-sink' });
  });

  it('exports metrics under the spec names, in milliseconds', async () => {
    bridge.meter.createHistogram(metricNames.ingestLatencyMs, metricOptions.ingestLatencyMs).record(42, { kind: 'telemetry' });
    bridge.meter.createCounter(metricNames.messagesIngested, metricOptions.messagesIngested).add(1, { kind: 'telemetry' });
    await bridge.forceFlush();
    const exported = receiver.requests
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) =>
        (r.body.resourceMetrics as Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string; unit: string }> }> }>).flatMap((rm) =>
          rm.scopeMetrics.flatMap((sm) => sm.metrics),
        ),
      );
    expect(exported).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'zenthos.middleware.ingest_latency_ms', unit: 'ms' }),
        expect.objectContaining({ name: 'zenthos.middleware.messages_ingested' }),
      ]),
    );
  });

  it('exports log lines as OTLP log records correlated with the active span', async () => {
    const log = createLogger({ service: 'test-bridge', mixin: bridge.logMixin, destination: bridge.logDestination });
    const spanContext = await traced(bridge.tracer, spanNames.middlewareHandle, {}, (span) => {
      log.warn({ device_id: 'dev-1' }, 'payload too large');
      return span.spanContext();
    });
    await bridge.forceFlush();
    type LogRecord = {
      body: { stringValue: string };
      severityText: string;
      traceId: string;
      spanId: string;
      attributes: Array<{ key: string; value: { stringValue?: string } }>;
    };
    const records = receiver.requests
      .filter((r) => r.path === '/v1/logs')
      .flatMap((r) =>
        (r.body.resourceLogs as Array<{ scopeLogs: Array<{ logRecords: LogRecord[] }> }>).flatMap((rl) =>
          rl.scopeLogs.flatMap((sl) => sl.logRecords),
        ),
      );
    const record = records.find((r) => r.body.stringValue === 'payload too large');
    expect(record).toMatchObject({ severityText: 'WARN', traceId: spanContext.traceId, spanId: spanContext.spanId });
    expect(attribute(record?.attributes, 'device_id')).toBe('dev-1');
  });
});

describe('OTLP/HTTP with the default protocol (http/protobuf)', () => {
  it('posts protobuf to <endpoint>/v1/traces carrying the span ids, and headers from OTEL_EXPORTER_OTLP_HEADERS', async () => {
    const receiver = await startOtlpReceiver();
    const telemetry = initTelemetry({
      serviceName: 'proto-test',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-scope-orgid=zenthos',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
      registerGlobal: false,
    });
    try {
      const sc = await traced(telemetry.tracer, spanNames.workerProcess, {}, (span) => span.spanContext());
      await telemetry.forceFlush();
      expect(receiver.requests.map((r) => [r.path, r.contentType])).toEqual([['/v1/traces', 'application/x-protobuf']]);
      // Protobuf carries trace and span ids as raw bytes (OTLP trace.proto `bytes trace_id = 1`).
      const raw = receiver.requests[0]!.raw;
      expect(raw.includes(Buffer.from(sc.traceId, 'hex'))).toBe(true);
      expect(raw.includes(Buffer.from(sc.spanId, 'hex'))).toBe(true);
      expect(raw.includes(Buffer.from('proto-test'))).toBe(true);
      expect(receiver.headers[0]?.['x-scope-orgid']).toBe('zenthos');
    } finally {
      await telemetry.shutdown();
      await receiver.close();
    }
  });
});
