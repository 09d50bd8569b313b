import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import { injectTraceHeaders, extractTraceContext } from '../domain/propagation';
import { createPooledIdGenerator, createPropagatingTracer } from './propagating-tracer';

const parentBasedOn = new ParentBasedSampler({ root: new AlwaysOnSampler() });

describe('createPropagatingTracer', () => {
  it('starts a non-recording root span with fresh valid ids and the sampled flag', () => {
    const span = createPropagatingTracer(parentBasedOn).startSpan('root', { attributes: { a: 1 } }, ROOT_CONTEXT);
    const sc = span.spanContext();
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(sc)).toBe(true);
    expect(sc.traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('continues the parent trace from headers with a new span id, keeping trace state and an unsampled flag', () => {
    const tracer = createPropagatingTracer(parentBasedOn);
    for (const flags of ['01', '00']) {
      const traceparent = `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}`;
      const parent = extractTraceContext({ traceparent, tracestate: 'vendor=x' }, ROOT_CONTEXT);
      const child = tracer.startSpan('child', {}, parent);
      const headers = injectTraceHeaders(trace.setSpan(parent, child));
      expect(headers['traceparent']).toMatch(new RegExp(`^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-${flags}$`));
      expect(headers['tracestate']).toBe('vendor=x');
    }
  });

  it('follows the sampler for roots and starts a new trace when asked for a root span', () => {
    const parent = trace.setSpan(ROOT_CONTEXT, createPropagatingTracer(parentBasedOn).startSpan('p', {}, ROOT_CONTEXT));
    const off = createPropagatingTracer(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    expect(off.startSpan('r', {}, ROOT_CONTEXT).spanContext().traceFlags).toBe(TraceFlags.NONE);
    const root = off.startSpan('r', { root: true }, parent).spanContext();
    expect(root.traceId).not.toBe(trace.getSpanContext(parent)?.traceId);
    expect(root.traceFlags).toBe(TraceFlags.NONE);
  });

  it('gives the invalid span when tracing is suppressed', () => {
    const span = createPropagatingTracer(parentBasedOn).startSpan('s', {}, suppressTracing(ROOT_CONTEXT));
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it('runs startActiveSpan callbacks with the span and returns their result', () => {
    const tracer = createPropagatingTracer(parentBasedOn);
    expect(tracer.startActiveSpan('a', (span) => span.spanContext().spanId.length)).toBe(16);
    expect(tracer.startActiveSpan('b', {}, ROOT_CONTEXT, (span) => trace.isSpanContextValid(span.spanContext()))).toBe(true);
  });

  it('cuts distinct, well-formed ids across pool refills', () => {
    const ids = createPooledIdGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      seen.add(traceId).add(spanId);
    }
    expect(seen.size).toBe(2000);
  });
});
