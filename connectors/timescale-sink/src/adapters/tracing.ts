import { trace, type Span } from '@opentelemetry/api';
import type { BatchTraceContext } from '@zenthos/telemetry';

/**
 * Runs `fn` inside a span named `name` over a batch: a child of the batch's first traced
 * message, linked to the others (see `batchTraceContext`), ending with the error status when
 * `fn` throws.
 */
export async function inSpan<T>(
  name: string,
  batch: BatchTraceContext,
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer('zenthos-timescale-sink').startActiveSpan(name, { links: batch.links, attributes }, batch.parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: 2, message: (err as Error).message });
      throw err;
    } finally {
      span.end();
    }
  });
}
