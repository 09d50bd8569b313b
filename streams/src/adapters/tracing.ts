import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { IncomingRecord } from '@zenthos/kafka';
import { extractTraceContext, injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import { traceContextOf, type RecordTracer } from '../domain/batch';

const endWith = async <T>(span: ReturnType<Tracer['startSpan']>, fn: () => T | Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
};

/**
 * Spans that continue the trace carried in a record's headers (W3C traceparent; DESIGN.md: one
 * trace follows a message): `stream.<pipeline>` per record, a child `stream.<step>` per
 * processor (only inside a recording record span), and the record span's context in the output
 * headers for the sink to continue. A record span that is not recorded (a trace the sampler
 * dropped) leaves a record's trace headers as they are; only a record without a trace gets the
 * new one, so the next hop keeps the sampling decision. A processor that exports no spans at all
 * needs no tracer (see createBatchHandler).
 */
export function createRecordTracer(pipeline: string, tracer: Tracer = trace.getTracer('@zenthos/streams')): RecordTracer {
  return {
    async record<T>(record: IncomingRecord, fn: () => T | Promise<T>) {
      const parent = extractTraceContext(record.headers);
      const span = tracer.startSpan(
        `${spanNames.streamProcess}${pipeline}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.destination.name': record.topic,
            'messaging.kafka.destination.partition': record.partition,
            'messaging.kafka.message.offset': Number(record.offset),
          },
        },
        parent,
      );
      const ctx = trace.setSpan(parent, span);
      if (!span.isRecording()) {
        // Nothing about this span is recorded: its steps get no spans either (see `step`), so
        // the processors need not run inside its context, which would cost an async-context
        // switch per record. Its id would name a span no backend ever receives: a record that
        // carries a trace keeps its headers, with its sampling decision, unchanged.
        const result = await fn();
        if (trace.getSpanContext(parent) !== undefined) return { result, headers: traceContextOf(record.headers) };
        const headers: Record<string, string | Buffer> = { ...traceContextOf(record.headers) };
        injectTraceHeaders(ctx, headers);
        return { result, headers };
      }
      // Inline rather than through endWith: one closure and one promise less per record.
      try {
        const result = await context.with(ctx, fn);
        const headers: Record<string, string | Buffer> = { ...traceContextOf(record.headers) };
        injectTraceHeaders(ctx, headers);
        return { result, headers };
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    },
    step<T>(name: string, fn: () => T | Promise<T>): T | Promise<T> {
      // A record span that is not recording (no exporter, or a trace the sampler dropped) would
      // get step spans that are not recorded either, and whose ids never leave the process (the
      // outputs carry the record span's context): skip them, three spans less per record.
      if (!trace.getSpan(context.active())?.isRecording()) return fn();
      const span = tracer.startSpan(`${spanNames.streamProcess}${name}`);
      return endWith(span, () => context.with(trace.setSpan(context.active(), span), fn));
    },
  };
}
