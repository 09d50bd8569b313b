import { context, trace } from '@opentelemetry/api';
import type { IncomingRecord } from '@zenthos/kafka';
import { initTelemetry } from '@zenthos/telemetry';
import { createRecordTracer } from './tracing';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

const rec = (headers: Record<string, Buffer>): IncomingRecord => ({
  topic: 'in',
  partition: 0,
  offset: '7',
  key: Buffer.from('k'),
  value: Buffer.from('v'),
  headers,
  timestampMs: 1,
});

// Without exporters the service's tracer records nothing: its spans only carry context.
const telemetry = initTelemetry({ serviceName: 'streams-test', env: {}, registerGlobal: false });
afterAll(() => telemetry.shutdown());

describe('record tracer without a recording span', () => {
  const tracer = createRecordTracer('telemetry', telemetry.tracer);

  it.each([
    ['sampled', '01'],
    ['not sampled', '00'],
  ])('leaves the trace headers of a %s record as they are: its span is recorded nowhere', async (_name, flags) => {
    const input = rec({
      traceparent: Buffer.from(`00-${TRACE_ID}-${PARENT_SPAN_ID}-${flags}`),
      tracestate: Buffer.from('vendor=x'),
      message_id: Buffer.from('m'),
    });
    const { result, headers } = await tracer.record(input, () => 42);
    expect(result).toBe(42);
    expect(headers.traceparent?.toString()).toBe(`00-${TRACE_ID}-${PARENT_SPAN_ID}-${flags}`);
    expect(headers.tracestate?.toString()).toBe('vendor=x');
    // Outputs carry the trace context only: the message id is in the value already.
    expect(Object.keys(headers).sort()).toEqual(['traceparent', 'tracestate']);
  });

  it('starts a new trace for a record without one', async () => {
    const { headers } = await tracer.record(rec({}), async () => undefined);
    expect(String(headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('runs steps without spans and passes failures through', async () => {
    const seen = await tracer.record(rec({}), () =>
      tracer.step('validate', async () => trace.getSpan(context.active())?.isRecording() ?? false),
    );
    expect(seen.result).toBe(false);
    await expect(tracer.record(rec({}), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
