import { collectBatch } from './batch';
import type { ConsumerPort, IncomingRecord } from './port';

const record = (offset: number): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: null,
  value: Buffer.from(String(offset)),
  headers: {},
  timestampMs: 0,
});

/** A consumer port over a script of poll answers (arrays, or errors to throw). */
const scripted = (answers: (IncomingRecord[] | Error)[]): ConsumerPort & { polls: number[] } => {
  const polls: number[] = [];
  return {
    polls,
    connect: async () => undefined,
    subscribe: async () => undefined,
    commit: async () => undefined,
    disconnect: async () => undefined,
    poll: async (max) => {
      polls.push(max);
      const next = answers.shift() ?? [];
      if (next instanceof Error) throw next;
      return next.slice(0, max);
    },
  };
};

describe('collectBatch', () => {
  it('fills a batch up to maxRecords, asking only for what is missing', async () => {
    const consumer = scripted([
      [record(0), record(1)],
      [record(2), record(3), record(4)],
    ]);
    const batch = await collectBatch(consumer, { maxRecords: 4, lingerMs: 10_000, stopped: () => false, onPollError: () => undefined });
    expect(batch.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
    expect(consumer.polls).toEqual([4, 2]);
  });

  it('asks for at most maxPollRecords per poll, so the linger deadline is checked between polls', async () => {
    const consumer = scripted([[record(0), record(1)], [record(2), record(3)], [record(4)]]);
    const batch = await collectBatch(consumer, {
      maxRecords: 5,
      lingerMs: 10_000,
      maxPollRecords: 2,
      stopped: () => false,
      onPollError: () => undefined,
    });
    expect(batch.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
    expect(consumer.polls).toEqual([2, 2, 1]);
  });

  it('returns a partial batch once the linger time after the first record has passed', async () => {
    const consumer = scripted([[record(0)]]);
    const batch = await collectBatch(consumer, {
      maxRecords: 100,
      lingerMs: 5,
      stopped: () => false,
      onPollError: () => undefined,
      idlePollMs: 1,
    });
    expect(batch.map((r) => r.offset)).toEqual(['0']);
  });

  it('reports a failed poll and keeps polling', async () => {
    const errors: unknown[] = [];
    const consumer = scripted([new Error('broker restarting'), [record(7)]]);
    const batch = await collectBatch(consumer, { maxRecords: 1, lingerMs: 5, stopped: () => false, onPollError: (e) => errors.push(e) });
    expect(batch.map((r) => r.offset)).toEqual(['7']);
    expect(errors).toHaveLength(1);
  });

  it('returns what it has when stopping', async () => {
    let stop = false;
    const consumer = scripted([[record(0)]]);
    const original = consumer.poll;
    consumer.poll = async (max, timeoutMs) => {
      const r = await original(max, timeoutMs);
      stop = true;
      return r;
    };
    const batch = await collectBatch(consumer, { maxRecords: 10, lingerMs: 60_000, stopped: () => stop, onPollError: () => undefined });
    expect(batch.map((r) => r.offset)).toEqual(['0']);
  });
});
