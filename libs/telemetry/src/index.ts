/**
 * @zenthos/telemetry: OpenTelemetry for every Zenthos service (spec §10). See README.md.
 */
export { initTelemetry, type Telemetry, type TelemetryOptions } from './adapters/sdk';
export { loadTelemetrySettings, parseKeyValueList, type TelemetrySettings, type OtlpTarget, type OtlpProtocol } from './config';
export {
  injectTraceHeaders,
  extractTraceContext,
  batchTraceContext,
  traceHeaderNames,
  type BatchTraceContext,
  type HeaderCarrier,
  type HeaderValue,
} from './domain/propagation';
export { traceLogMixin, type TraceLogFields } from './domain/log-mixin';
export { traced } from './domain/traced';
export {
  metricNames,
  metricOptions,
  metricLabels,
  prometheusNames,
  prometheusSeriesNames,
  toPrometheusName,
  type MetricKey,
  type MetricName,
  type MetricKind,
  type MetricDefinition,
} from './domain/metric-names';
/** Span names of one message's trace (spec §10, DESIGN.md "Observability"). */
export { spanNames } from './domain/span-names';
