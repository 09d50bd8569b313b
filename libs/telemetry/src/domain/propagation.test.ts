import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { batchTraceContext, extractTraceContext, injectTraceHeaders, traceHeaderNames } from './propagation';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';
const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: false });
const traceparent = `00-${traceId}-${spanId}-01`;

describe('injectTraceHeaders', () => {
  it('writes a W3C traceparent string into the carrier and returns it', () => {
    const carrier: Record<string, string | Buffer> = { 'content-type': Buffer.from('avro') };
    expect(injectTraceHeaders(parent, carrier)).toBe(carrier);
    expect(carrier).toEqual({ 'content-type': Buffer.from('avro'), traceparent });
  });

  it('fits MQTT 5 user properties and creates a string record when no carrier is given', () => {
    const userProperties: Record<string, string | string[]> = { 'x-fw': ['1', '2'] };
    expect(injectTraceHeaders(parent, userProperties)).toEqual({ 'x-fw': ['1', '2'], traceparent });
    const fresh: Record<string, string> = injectTraceHeaders(parent);
    expect(fresh).toEqual({ traceparent });
  });

  it('writes nothing without a valid span', () => {
    expect(injectTraceHeaders(ROOT_CONTEXT, {})).toEqual({});
  });
});

describe('extractTraceContext', () => {
  const cases: Array<[string, Record<string, Buffer | string | string[] | undefined>]> = [
    ['Kafka headers (Buffer)', { traceparent: Buffer.from(traceparent) }],
    ['AMQP headers (string)', { traceparent }],
    ['MQTT 5 user properties (repeated key)', { traceparent: [traceparent, 'ignored'] }],
    ['capitalised HTTP-style key', { Traceparent: traceparent }],
  ];
  it.each(cases)('reads the remote parent from %s', (_name, headers) => {
    const sc = trace.getSpanContext(extractTraceContext(headers, ROOT_CONTEXT));
    expect(sc).toEqual({ traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  });

  it.each([
    ['no headers', undefined],
    ['no traceparent', { other: 'x' }],
    ['malformed traceparent', { traceparent: '00-nothex-01' }],
    ['all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${spanId}-01` }],
  ])('returns the base context for %s', (_name, headers) => {
    expect(extractTraceContext(headers, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
  });

  it('round-trips tracestate through a carrier', () => {
    const headers = injectTraceHeaders(extractTraceContext({ traceparent, tracestate: 'zen=1,other=2' }, ROOT_CONTEXT), {});
    expect(headers).toEqual({ traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'zen=1,other=2' });
  });

  it('names the headers it uses', () => {
    expect(traceHeaderNames).toEqual(expect.arrayContaining(['traceparent', 'tracestate', 'baggage']));
  });
});

describe('batchTraceContext', () => {
  const other = (n: number): string => `00-${String(n).padStart(32, 'a')}-${spanId}-01`;

  it('parents the batch span on the first traced message and links the others', () => {
    const { parent: p, links } = batchTraceContext([
      {},
      undefined,
      { traceparent: Buffer.from(traceparent) },
      { traceparent: other(1) },
      { traceparent: other(2) },
    ]);
    expect(trace.getSpanContext(p)?.traceId).toBe(traceId);
    expect(links.map((l) => l.context.traceId)).toEqual([String(1).padStart(32, 'a'), String(2).padStart(32, 'a')]);
  });

  it('keeps at most maxLinks links', () => {
    const { links } = batchTraceContext(
      Array.from({ length: 10 }, (_, i) => ({ traceparent: other(i + 1) })),
      3,
    );
    expect(links).toHaveLength(3);
  });

  it('falls back to the active context when no message is traced', () => {
    const { parent: p, links } = batchTraceContext([{ other: 'x' }, { traceparent: '00-bad-01' }]);
    expect(trace.getSpanContext(p)).toBeUndefined();
    expect(links).toEqual([]);
  });
});
