import { context, propagation, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import type { IncomingRecord } from '@zenthos/kafka';
import type { RecordTracer } from '../domain/batch';

const getter: TextMapGetter<Readonly<Record<string, Buffer>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]?.toString(),
};

/**
 * Spans that continue the trace carried in a record's headers (W3C traceparent, DESIGN.md:
 * one trace follows a message) and hand the new context to the output records. Without an
 * OpenTelemetry SDK in the process these are no-ops and the headers pass through unchanged.
 */
export function createRecordTracer(pipeline: string): RecordTracer {
  const tracer = trace.getTracer('@zenthos/streams');
  return async <T>(record: IncomingRecord, fn: () => Promise<T>) => {
    const parent = propagation.extract(context.active(), record.headers, getter);
    const span = tracer.startSpan(
      `processor.${pipeline}`,
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
    try {
      const result = await context.with(ctx, fn);
      const headers: Record<string, string | Buffer> = { ...record.headers };
      propagation.inject(ctx, headers);
      return { result, headers };
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  };
}
