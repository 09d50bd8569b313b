import { context, propagation, trace, type Link, type Span, type TextMapGetter } from '@opentelemetry/api';

/** Reads W3C trace context (`traceparent`, `tracestate`) from Kafka headers, which are bytes. */
const bufferHeaderGetter: TextMapGetter<Readonly<Record<string, Buffer>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key]?.toString(),
};

/**
 * Span links to the producers' traces of a batch's records (at most `max`): a batch write has
 * many parents, which OpenTelemetry models as links rather than one parent. Uses the global
 * propagator, a no-op until the telemetry SDK is installed.
 */
export function linksFromHeaders(headers: readonly Readonly<Record<string, Buffer>>[], max = 32): Link[] {
  const links: Link[] = [];
  for (const h of headers) {
    if (links.length >= max) break;
    if (!h.traceparent) continue;
    const ctx = propagation.extract(context.active(), h, bufferHeaderGetter);
    const sc = trace.getSpanContext(ctx);
    if (sc) links.push({ context: sc });
  }
  return links;
}

/** Runs `fn` inside a span named `name`, ending it with the error status when `fn` throws. */
export async function inSpan<T>(
  name: string,
  links: Link[],
  attributes: Record<string, string | number>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace.getTracer('zenthos-timescale-sink').startActiveSpan(name, { links, attributes }, async (span) => {
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
