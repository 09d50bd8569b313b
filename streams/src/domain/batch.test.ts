import { ZenthosError } from '@zenthos/core';
import type { IncomingRecord } from '@zenthos/kafka';
import { createBatchHandler, traceContextOf, type RecordCodec } from './batch';
import { dlqHeaders } from './dead-letter';
import type { NamedProcessor, Outcome } from './record';

// A JSON codec stands in for Avro: the batch logic does not care about the format.
const jsonCodec: RecordCodec = {
  decode: async (b) => {
    try {
      return JSON.parse(b.toString()) as unknown;
    } catch (err) {
      throw new ZenthosError('ZEN_DECODE_FAILED', (err as Error).message);
    }
  },
  encode: async (_topic, v) => Buffer.from(JSON.stringify(v)),
};
const rec = (partition: number, offset: number, value: unknown): IncomingRecord => ({
  topic: 'in',
  partition,
  offset: String(offset),
  key: Buffer.from('k'),
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  headers: {},
  timestampMs: 1,
});
const steps: NamedProcessor[] = [
  {
    name: 'check',
    process: async (r) => {
      const v = r.value as { n: number };
      if (v.n < 0) return { kind: 'deadLetter', error: new ZenthosError('ZEN_PAYLOAD_INVALID', 'negative') };
      if (v.n === 13) throw new Error('a bug');
      return { kind: 'forward', record: r };
    },
  },
  { name: 'double', process: async (r) => ({ kind: 'forward', record: { ...r, value: { n: (r.value as { n: number }).n * 2 } } }) },
  {
    name: 'even',
    process: async (r) => ((r.value as { n: number }).n === 8 ? { kind: 'drop', reason: 'dup' } : { kind: 'forward', record: r }),
  },
];
const handle = createBatchHandler(
  { pipeline: 'p', steps, sinkTopics: ['out'], dlqTopic: 'dlq' },
  { codec: jsonCodec, clock: { nowMs: () => 0 } },
);

describe('batch handler', () => {
  it('forwards, drops and dead-letters in input order, with positions per partition', async () => {
    const res = await handle([
      rec(0, 10, { n: 1 }),
      rec(1, 5, { n: -1 }),
      rec(0, 11, { n: 4 }),
      rec(1, 6, 'not json'),
      rec(0, 12, { n: 2 }),
      rec(1, 7, { n: 13 }),
    ]);
    expect(res.outputs.map((o) => [o.topic, o.value?.toString() ?? null])).toEqual([
      ['out', '{"n":2}'],
      ['dlq', '{"n":-1}'],
      ['dlq', 'not json'],
      ['out', '{"n":4}'],
      ['dlq', '{"n":13}'],
    ]);
    expect(
      res.outputs.filter((o) => o.topic === 'dlq').map((o) => [o.headers?.[dlqHeaders.reason], o.headers?.[dlqHeaders.processor]]),
    ).toEqual([
      ['ZEN_PAYLOAD_INVALID', 'check'],
      ['ZEN_DECODE_FAILED', 'decode'],
      ['ZEN_INTERNAL', 'check'],
    ]);
    expect(res).toMatchObject({
      forwarded: 2,
      dropped: 1,
      deadLettered: { check: 2, decode: 1 },
      deadLetterReasons: { ZEN_PAYLOAD_INVALID: 1, ZEN_DECODE_FAILED: 1, ZEN_INTERNAL: 1 },
      steps: {
        check: { forward: 3, drop: 0, dead_letter: 2 },
        double: { forward: 3, drop: 0, dead_letter: 0 },
        even: { forward: 2, drop: 1, dead_letter: 0 },
        decode: { forward: 0, drop: 0, dead_letter: 1 },
      },
    });
    expect(res.positions).toEqual([
      { topic: 'in', partition: 0, offset: '13' },
      { topic: 'in', partition: 1, offset: '8' },
    ]);
    expect(res.rewindTo).toEqual([
      { topic: 'in', partition: 0, offset: '10' },
      { topic: 'in', partition: 1, offset: '5' },
    ]);
    expect(res.outputs[0]?.headers?.['zenthos.source']).toBeUndefined();
  });

  it('reports step times once per batch and step, over the records that reached the step', async () => {
    const observed: Array<[string, number]> = [];
    const timed = createBatchHandler(
      { pipeline: 'p', steps, sinkTopics: ['out'], dlqTopic: 'dlq' },
      { codec: jsonCodec, clock: { nowMs: () => 0 }, observeStep: (processor, ms) => observed.push([processor, ms]) },
    );
    // 'check' sees 4 records (one fails to decode), dead-letters one: 'double' and 'even' see 3.
    await timed([rec(0, 1, { n: 1 }), rec(0, 2, { n: -1 }), rec(0, 3, 'not json'), rec(0, 4, { n: 4 }), rec(0, 5, { n: 3 })]);
    expect(observed.map(([name]) => name).sort()).toEqual(['check', 'double', 'even']);
    for (const [, ms] of observed) expect(ms).toBeGreaterThanOrEqual(0);
    observed.length = 0;
    await timed([rec(0, 6, 'not json')]);
    expect(observed).toEqual([]);
  });

  it('fails the whole batch on a retriable error instead of skipping a record', async () => {
    const down = createBatchHandler(
      {
        pipeline: 'p',
        steps: [{ name: 'db', process: async () => Promise.reject(new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'down', true)) }],
        sinkTopics: ['out'],
        dlqTopic: 'dlq',
      },
      { codec: jsonCodec, clock: { nowMs: () => 0 } },
    );
    await expect(down([rec(0, 1, { n: 1 })])).rejects.toMatchObject({ code: 'ZEN_DEPENDENCY_UNAVAILABLE', retriable: true });
  });

  it("gives the outputs the source record's own trace context headers and nothing else when there is no tracer", async () => {
    const traceparent = Buffer.from('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    const source = { ...rec(0, 1, { n: 1 }), headers: { traceparent, message_id: Buffer.from('m-1'), device_id: Buffer.from('d-1') } };
    const untraced = { ...rec(0, 2, { n: 2 }), headers: { message_id: Buffer.from('m-2') } };
    const res = await handle([source, untraced]);
    expect(res.outputs).toHaveLength(2);
    expect(res.outputs[0]?.headers).toEqual({ traceparent });
    expect(res.outputs[0]?.headers?.traceparent).toBe(traceparent);
    expect(res.outputs[1]?.headers).toEqual({});
  });

  it('keeps traceparent, tracestate and baggage of a header set, in any combination', () => {
    const all = { traceparent: 'a', tracestate: 'b', baggage: 'c', message_id: 'm', other: 'x' };
    expect(traceContextOf(all)).toEqual({ traceparent: 'a', tracestate: 'b', baggage: 'c' });
    expect(traceContextOf({ tracestate: 'b', device_id: 'd' })).toEqual({ tracestate: 'b' });
    expect(traceContextOf({ message_id: 'm' })).toEqual({});
    expect(traceContextOf({})).toEqual({});
  });

  it('mixes steps and codecs that answer at once with ones that answer later, keeping the input order', async () => {
    // The same rules as above, each step and the codec answering at once for even n and through a
    // promise for odd n.
    const later = <T>(n: number, v: T): T | Promise<T> => (n % 2 === 0 ? v : new Promise((resolve) => setTimeout(() => resolve(v), 1)));
    const mixedCodec: RecordCodec = {
      decode: (b) => {
        const v = JSON.parse(b.toString()) as { n: number };
        return later(v.n, v);
      },
      encode: (_topic, v) => later((v as { n: number }).n, Buffer.from(JSON.stringify(v))),
    };
    const mixed = createBatchHandler(
      {
        pipeline: 'p',
        steps: steps.map((s) => ({
          name: s.name,
          process: (r) => {
            const out = s.process(r) as Promise<Outcome<unknown>>;
            return (r.value as { n: number }).n % 2 === 0 ? out : out.then((o) => later(1, o));
          },
        })),
        sinkTopics: ['out'],
        dlqTopic: 'dlq',
      },
      { codec: mixedCodec, clock: { nowMs: () => 0 } },
    );
    const res = await mixed([rec(0, 1, { n: 3 }), rec(0, 2, { n: 2 }), rec(0, 3, { n: -1 }), rec(0, 4, { n: 4 }), rec(0, 5, { n: 5 })]);
    expect(res.outputs.map((o) => [o.topic, o.value?.toString()])).toEqual([
      ['out', '{"n":6}'],
      ['out', '{"n":4}'],
      ['dlq', '{"n":-1}'],
      ['out', '{"n":10}'],
    ]);
    expect(res).toMatchObject({ forwarded: 3, dropped: 1, deadLettered: { check: 1 } });
  });

  it('fails the whole batch on a retriable error thrown at once, while other records wait for I/O', async () => {
    let unhandled = 0;
    const onUnhandled = (): void => void unhandled++;
    process.on('unhandledRejection', onUnhandled);
    try {
      const down = createBatchHandler(
        {
          pipeline: 'p',
          steps: [
            {
              name: 'db',
              process: (r) => {
                const n = (r.value as { n: number }).n;
                if (n === 2) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'down', true);
                return Promise.reject(new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'down too', true));
              },
            },
          ],
          sinkTopics: ['out'],
          dlqTopic: 'dlq',
        },
        { codec: jsonCodec, clock: { nowMs: () => 0 } },
      );
      await expect(down([rec(0, 1, { n: 1 }), rec(0, 2, { n: 2 })])).rejects.toMatchObject({ code: 'ZEN_DEPENDENCY_UNAVAILABLE' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toBe(0);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('gives the processors the source position of a record even when the record carries a header of that name', async () => {
    const seen: string[] = [];
    const owner = createBatchHandler(
      {
        pipeline: 'p',
        steps: [{ name: 'look', process: (r) => (seen.push(String(r.headers['zenthos.source'])), { kind: 'forward', record: r }) }],
        sinkTopics: ['out'],
        dlqTopic: 'dlq',
      },
      { codec: jsonCodec, clock: { nowMs: () => 0 } },
    );
    await owner([{ ...rec(2, 41, { n: 1 }), headers: { 'zenthos.source': Buffer.from('in/0/1') } }]);
    expect(seen).toEqual(['in/2/41']);
  });
});
