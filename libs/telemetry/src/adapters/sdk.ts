import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Writable } from 'node:stream';
import {
  ROOT_CONTEXT,
  SeverityNumber,
  context,
  logs,
  metrics,
  propagation,
  trace,
  type Logger as OtelLogger,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPLogExporter as OTLPLogExporterJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as OTLPMetricExporterJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OTLPMetricExporterProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OTLPTraceExporterJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { loadTelemetrySettings, type OtlpTarget, type TelemetrySettings } from '../config';
import { traceLogMixin, type TraceLogFields } from '../domain/log-mixin';
import { withBaseUnits } from '../domain/prometheus-units';
import { createPropagatingTracer } from './propagating-tracer';

/** Options of {@link initTelemetry}. */
export interface TelemetryOptions {
  /** `service.name`, e.g. `mqtt-bridge`; OTEL_SERVICE_NAME overrides it. */
  readonly serviceName: string;
  /** The environment to read OTEL_* from (usually `process.env`, read once in `main.ts`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly serviceVersion?: string;
  /** Instrumentation scope of `tracer` and `meter`; `@zenthos/<serviceName>` by default. */
  readonly scope?: string;
  /**
   * Register the providers, context manager and propagator as the process's OpenTelemetry
   * globals (default true), so `trace.getTracer()` anywhere and `context.active()` work.
   */
  readonly registerGlobal?: boolean;
  /** Where `logDestination` writes lines besides OTLP; standard output by default. */
  readonly logOutput?: NodeJS.WritableStream;
}

/** What a service gets from {@link initTelemetry}. */
export interface Telemetry {
  readonly settings: TelemetrySettings;
  readonly tracer: Tracer;
  readonly meter: Meter;
  /** Prometheus text exposition (format 0.0.4) of this service's metrics, for `/metrics`. */
  metricsText(): Promise<string>;
  /** pino mixin adding the active span's `trace_id` and `span_id`. */
  readonly logMixin: () => TraceLogFields;
  /**
   * A pino destination: every line goes to `logOutput` (stdout) and, when logs are exported
   * over OTLP, also becomes an OTLP log record correlated with its trace.
   */
  readonly logDestination: NodeJS.WritableStream;
  /** Exports everything buffered now (tests, before a planned exit). */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporters, and unregisters the globals it registered. Idempotent. */
  shutdown(): Promise<void>;
}

const sampler = (s: TelemetrySettings): Sampler => {
  switch (s.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(s.samplerRatio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(s.samplerRatio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
};

const exporterConfig = (t: OtlpTarget) => ({ url: t.url, headers: t.headers, timeoutMillis: t.timeoutMs });

// pino numeric levels → OpenTelemetry severity (logs data model, "Mapping of SeverityNumber").
const severityOf = (level: unknown): { number: SeverityNumber; text: string } => {
  const n =
    typeof level === 'number'
      ? level
      : (({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as Record<string, number>)[String(level)] ?? 30);
  if (n >= 60) return { number: SeverityNumber.FATAL, text: 'FATAL' };
  if (n >= 50) return { number: SeverityNumber.ERROR, text: 'ERROR' };
  if (n >= 40) return { number: SeverityNumber.WARN, text: 'WARN' };
  if (n >= 30) return { number: SeverityNumber.INFO, text: 'INFO' };
  if (n >= 20) return { number: SeverityNumber.DEBUG, text: 'DEBUG' };
  return { number: SeverityNumber.TRACE, text: 'TRACE' };
};

/** Turns one pino JSON line into an OTLP log record, correlated through its trace_id/span_id. */
const emitLogLine = (logger: OtelLogger, line: string): void => {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    logger.emit({ body: line, severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
    return;
  }
  const { msg, level, time, trace_id, span_id, trace_flags, ...rest } = record;
  const severity = severityOf(level);
  const attributes: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') attributes[key] = value;
    else if (value !== null && value !== undefined) attributes[key] = JSON.stringify(value);
  }
  const ctx =
    typeof trace_id === 'string' && typeof span_id === 'string'
      ? trace.setSpanContext(ROOT_CONTEXT, {
          traceId: trace_id,
          spanId: span_id,
          traceFlags: typeof trace_flags === 'string' ? parseInt(trace_flags, 16) : 1,
        })
      : ROOT_CONTEXT;
  logger.emit({
    body: typeof msg === 'string' ? msg : '',
    severityNumber: severity.number,
    severityText: severity.text,
    attributes,
    context: ctx,
    ...(typeof time === 'string' || typeof time === 'number' ? { timestamp: new Date(time) } : {}),
  });
};

/**
 * Sets up OpenTelemetry for one service from its OTEL_* variables.
 *
 * - Traces, metrics and logs go over OTLP/HTTP (protobuf by default, JSON with
 *   `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`) when `OTEL_EXPORTER_OTLP_ENDPOINT` (or a
 *   signal-specific endpoint) is set; without one nothing is exported, and `tracer`'s spans are
 *   not recorded but still get ids and the sampling flag (for log correlation and propagation).
 * - The same metrics are always available as Prometheus text through `metricsText()`.
 * - W3C trace context and baggage are the propagators; context follows async calls
 *   (AsyncLocalStorage).
 *
 * ```ts
 * const telemetry = initTelemetry({ serviceName: 'mqtt-bridge', env: process.env });
 * const log = createLogger({ service: 'mqtt-bridge', mixin: telemetry.logMixin, destination: telemetry.logDestination });
 * await createOpsServer({ port: 9464, metrics: telemetry.metricsText });
 * ```
 */
export function initTelemetry(options: TelemetryOptions): Telemetry {
  const settings = loadTelemetrySettings(options.serviceName, options.env);
  const registerGlobal = options.registerGlobal ?? true;
  const scope = options.scope ?? `@zenthos/${options.serviceName}`;
  // SDK attributes (telemetry.sdk.*), then the host and this process's instance, then what
  // OTEL_RESOURCE_ATTRIBUTES says, and service.name/version last.
  const resource: Resource = defaultResource().merge(
    resourceFromAttributes({
      'host.name': hostname(),
      'process.pid': process.pid,
      'service.instance.id': randomUUID(),
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
  );

  // --- traces
  const spanProcessors: SpanProcessor[] = [];
  if (settings.traces) {
    const t = settings.traces;
    const exporter =
      t.protocol === 'http/json' ? new OTLPTraceExporterJson(exporterConfig(t)) : new OTLPTraceExporterProto(exporterConfig(t));
    spanProcessors.push(new BatchSpanProcessor({ exporter, scheduledDelayMillis: settings.spanScheduleDelayMs }));
  }
  const traceSampler = sampler(settings);
  const tracerProvider = new TracerProvider({ resource, sampler: traceSampler, spanProcessors });

  // --- metrics: Prometheus pull (never serves its own port) + OTLP push
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const serializer = new PrometheusSerializer();
  const readers: MetricReader[] = [prometheus];
  if (settings.metrics) {
    const t = settings.metrics;
    const exporter =
      t.protocol === 'http/json' ? new OTLPMetricExporterJson(exporterConfig(t)) : new OTLPMetricExporterProto(exporterConfig(t));
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: settings.metricExportIntervalMs,
        exportTimeoutMillis: Math.min(settings.metricExportTimeoutMs, settings.metricExportIntervalMs),
      }),
    );
  }
  const meterProvider = new MeterProvider({ resource, readers });

  // --- logs
  const logProcessors: LogRecordProcessor[] = [];
  if (settings.logs) {
    const t = settings.logs;
    const exporter = t.protocol === 'http/json' ? new OTLPLogExporterJson(exporterConfig(t)) : new OTLPLogExporterProto(exporterConfig(t));
    logProcessors.push(new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: settings.logScheduleDelayMs }));
  }
  const loggerProvider = new LoggerProvider({ resource, processors: logProcessors });
  const otelLogger = settings.logs ? loggerProvider.getLogger(scope) : undefined;

  const logOutput = options.logOutput ?? process.stdout;
  const logDestination: NodeJS.WritableStream = otelLogger
    ? new Writable({
        write(chunk: Buffer | string, _encoding, callback) {
          const text = chunk.toString();
          for (const line of text.split('\n')) if (line.trim()) emitLogLine(otelLogger, line);
          logOutput.write(text, () => callback());
        },
      })
    : logOutput;

  // Each set* returns false when something registered first (e.g. a second instance in one
  // process); that registration stays in force, and shutdown() only undoes its own.
  const owned = { context: false, trace: false, metrics: false, logs: false, propagation: false };
  if (registerGlobal) {
    const contextManager = new AsyncLocalStorageContextManager().enable();
    owned.context = context.setGlobalContextManager(contextManager);
    if (!owned.context) contextManager.disable();
    owned.trace = trace.setGlobalTracerProvider(tracerProvider);
    owned.metrics = metrics.setGlobalMeterProvider(meterProvider);
    owned.logs = logs.setGlobalLoggerProvider(loggerProvider);
    owned.propagation = propagation.setGlobalPropagator(
      new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
    );
  }

  let stopped: Promise<void> | undefined;
  return {
    settings,
    // Without an exporter a recorded span would be built per message only to be dropped.
    tracer: spanProcessors.length > 0 ? tracerProvider.getTracer(scope, options.serviceVersion) : createPropagatingTracer(traceSampler),
    meter: meterProvider.getMeter(scope, options.serviceVersion),
    logMixin: traceLogMixin,
    logDestination,
    async metricsText() {
      if (stopped) return ''; // shutting down: an empty exposition, not an error
      const { resourceMetrics, errors } = await prometheus.collect();
      for (const err of errors) throw err instanceof Error ? err : new Error(String(err));
      const text = serializer.serialize(withBaseUnits(resourceMetrics));
      // With nothing recorded yet the serializer ends on a comment without a newline, which the
      // text format (and promtool) rejects as an unexpected end of input.
      return text.endsWith('\n') ? text : `${text}\n`;
    },
    async forceFlush() {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush(), loggerProvider.forceFlush()]);
    },
    shutdown() {
      stopped ??= (async () => {
        await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown(), loggerProvider.shutdown()]);
        if (owned.trace) trace.disable();
        if (owned.metrics) metrics.disable();
        if (owned.logs) logs.disable();
        if (owned.propagation) propagation.disable();
        if (owned.context) context.disable();
      })();
      return stopped;
    },
  };
}
