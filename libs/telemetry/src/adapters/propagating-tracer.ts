import {
  INVALID_SPAN_CONTEXT,
  SamplingDecision,
  SpanKind,
  TraceFlags,
  context as contextApi,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type Tracer,
} from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { randomFillSync } from 'node:crypto';
import type { IdGenerator, Sampler } from '@opentelemetry/sdk-trace';

const ID_POOL_BYTES = 4096;

/**
 * Trace and span ids cut from a pool of random bytes refilled 4 KiB at a time: a few hundred
 * ids per refill instead of two to four `Math.random()` calls and a buffer write per id (the
 * SDK's RandomIdGenerator), which showed as a visible share of the bridge's per-message CPU.
 */
export function createPooledIdGenerator(): IdGenerator {
  const pool = Buffer.allocUnsafe(ID_POOL_BYTES);
  let offset = ID_POOL_BYTES;
  const next = (bytes: number): string => {
    if (offset + bytes > ID_POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const start = offset;
    offset += bytes;
    // W3C Trace Context §3.2.2.3/§3.2.2.4: an all-zero id is invalid.
    let zero = true;
    for (let i = start; i < offset && zero; i++) zero = pool[i] === 0;
    if (zero) pool[offset - 1] = 1;
    return pool.toString('hex', start, offset);
  };
  return { generateTraceId: () => next(16), generateSpanId: () => next(8) };
}

/**
 * A tracer for a process that exports no spans: every span is non-recording, yet it has its
 * own span id, continues its parent's trace id and trace state, and carries the sampler's
 * decision in its trace flags. So `traceparent` headers propagate unchanged (a downstream
 * service that does export keeps sampling the same traces) and log lines keep their
 * `trace_id`/`span_id`, while no span object, attribute copy, timestamp or end-of-span
 * processing is paid per message: with no span processor nothing would read them anyway.
 */
export function createPropagatingTracer(sampler: Sampler, ids: IdGenerator = createPooledIdGenerator()): Tracer {
  const startSpan = (name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span => {
    const parentContext = options.root ? trace.deleteSpan(ctx) : ctx;
    // Same rule as the SDK tracer: suppressed instrumentation gets the invalid span.
    if (isTracingSuppressed(parentContext)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const parent = trace.getSpanContext(parentContext);
    const validParent = parent !== undefined && trace.isSpanContextValid(parent) ? parent : undefined;
    const traceId = validParent?.traceId ?? ids.generateTraceId();
    const sampling = sampler.shouldSample(
      parentContext,
      traceId,
      name,
      options.kind ?? SpanKind.INTERNAL,
      options.attributes ?? {},
      options.links ?? [],
    );
    const traceState = sampling.traceState ?? validParent?.traceState;
    return trace.wrapSpanContext({
      traceId,
      spanId: ids.generateSpanId(),
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      ...(traceState === undefined ? {} : { traceState }),
    });
  };

  function startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  function startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  function startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, ctx: Context, fn: F): ReturnType<F>;
  function startActiveSpan<F extends (span: Span) => unknown>(name: string, a: SpanOptions | F, b?: Context | F, c?: F): ReturnType<F> {
    const fn = (c ?? (typeof b === 'function' ? b : a)) as F;
    const options = typeof a === 'function' ? {} : a;
    const parentContext = typeof b === 'object' ? b : contextApi.active();
    const span = startSpan(name, options, parentContext);
    return contextApi.with(trace.setSpan(parentContext, span), (s: Span) => fn(s) as ReturnType<F>, undefined, span);
  }

  return { startSpan, startActiveSpan };
}
