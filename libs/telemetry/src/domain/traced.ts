import { SpanStatusCode, context as contextApi, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';

/**
 * Runs `fn` inside a new active span and ends it when `fn` settles: an error is recorded on the
 * span (status ERROR, exception event) and rethrown. `parent` defaults to the active context;
 * pass `extractTraceContext(headers)` to continue a trace from a message.
 *
 * ```ts
 * await traced(tracer, 'db.write', { attributes: { 'db.sql.table': 'telemetry_raw' } }, () => insert(rows));
 * ```
 */
export const traced = async <T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T> | T,
  parent: Context = contextApi.active(),
): Promise<T> =>
  tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      throw err;
    } finally {
      span.end();
    }
  });
