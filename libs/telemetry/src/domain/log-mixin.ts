import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/** Fields {@link traceLogMixin} adds to a log line. */
// A type alias (not an interface) so it fits pino and @zenthos/core `LogMixin` (Record<string, unknown>).
export type TraceLogFields = {
  readonly trace_id?: string;
  readonly span_id?: string;
  readonly trace_flags?: string;
};

/**
 * A pino mixin: the active span's `trace_id`, `span_id` and `trace_flags` (W3C hex), or no
 * fields outside a span. `createLogger({ service, mixin: traceLogMixin })` (also returned by
 * initTelemetry as `logMixin`).
 */
export const traceLogMixin = (): TraceLogFields => {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const sc = span.spanContext();
  if (!isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: sc.traceFlags.toString(16).padStart(2, '0') };
};
