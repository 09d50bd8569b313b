import type { ConsumerPort, IncomingRecord } from '@zenthos/kafka';
import { collectWhileArriving } from './batching';

const record = (offset: number): IncomingRecord => ({
  topic: 't',
  partition: 0,
  offset: String(offset),
  key: null,
  value: Buffer.from(String(offset)),
  headers: {},
  timestampMs: 0,
});
const records = (from: number, n: number): IncomingRecord[] => Array.from({ length: n }, (_, i) => record(from + i));

/** A consumer port over a script of poll answers (arrays, errors to throw, or delays before an answer); then empty polls. */
const scripted = (answers: (IncomingRecord[] | Error | { afterMs: number; records: IncomingRecord[] })[]) => {
  const polls: { max: number; timeoutMs: number }[] = [];
  const consumer: ConsumerPort = {
    connect: async () => undefined,
    subscribe: async () => undefined,
    commit: async () => undefined,
    disconnect: async () => undefined,
    poll: async (max, timeoutMs) => {
      polls.push({ max, timeoutMs });
      const next = answers.shift() ?? [];
      if (next instanceof Error) throw next;
      // Records beyond `max` stay ready for the next poll, as in a real consumer's queue.
      const take = (ready: IncomingRecord[]): IncomingRecord[] => {
        if (ready.length > max) answers.unshift(ready.slice(max));
        return ready.slice(0, max);
      };
      if ('afterMs' in next) {
        await new Promise((r) => setTimeout(r, next.afterMs));
        return take(next.records);
      }
      // Nothing ready: a real consumer waits out the timeout (kept short here).
      if (next.length === 0) await new Promise((r) => setTimeout(r, Math.min(timeoutMs, 5)));
      return take(next);
    },
  };
  return { consumer, polls };
};

const options = { maxRecords: 10, lingerMs: 10_000, arrivalGapMs: 5, stopped: () => false, onPollError: () => undefined };

describe('collectWhileArriving', () => {
  it('returns as soon as a poll finds nothing more ready, whatever the linger', async () => {
    const { consumer, polls } = scripted([records(0, 2), []]);
    const batch = await collectWhileArriving(consumer, options);
    expect(batch.map((r) => r.offset)).toEqual(['0', '1']);
    // The polls after the first waited at most the arrival gap, not the linger.
    expect(polls.map((p) => p.timeoutMs).slice(1)).toEqual([5, 5]);
  });

  it('keeps gathering while records keep arriving, up to maxRecords', async () => {
    const { consumer, polls } = scripted([records(0, 3), records(3, 3), records(6, 3), records(9, 3), records(12, 3)]);
    const batch = await collectWhileArriving(consumer, options);
    expect(batch.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // The first poll asks for one record only: it may wait long, and a poll for many records
    // returns only once it has them all or nothing more comes.
    expect(polls.map((p) => p.max)).toEqual([1, 9, 7, 4, 1]);
  });

  it('asks for at most 250 records per poll, so the linger is looked at between polls', async () => {
    const { consumer, polls } = scripted([records(0, 1_000)]);
    const batch = await collectWhileArriving(consumer, { ...options, maxRecords: 600 });
    expect(batch).toHaveLength(600);
    expect(batch.map((r) => Number(r.offset))).toEqual(Array.from({ length: 600 }, (_, i) => i));
    expect(polls.map((p) => p.max)).toEqual([1, 250, 250, 99]);
  });

  it('stops gathering after lingerMs even while records keep arriving', async () => {
    // A record every 10 ms for a second; the batch may gather for 100 ms.
    const answers = [records(0, 1), ...Array.from({ length: 100 }, (_, i) => ({ afterMs: 10, records: records(i + 1, 1) }))];
    const { consumer } = scripted(answers);
    const batch = await collectWhileArriving(consumer, { ...options, maxRecords: 1_000, lingerMs: 100 });
    expect(batch.length).toBeGreaterThan(1);
    expect(batch.length).toBeLessThan(101);
  });

  it('writes what it has when a later poll fails, and reports the failure', async () => {
    const errors: unknown[] = [];
    const { consumer } = scripted([records(0, 2), new Error('broker away')]);
    const batch = await collectWhileArriving(consumer, { ...options, onPollError: (e) => errors.push(e) });
    expect(batch).toHaveLength(2);
    expect(errors).toHaveLength(1);
  });

  it('waits for a first record, and returns nothing only when stopping', async () => {
    let stop = false;
    const { consumer } = scripted([[], [], records(0, 1), []]);
    expect(await collectWhileArriving(consumer, options)).toHaveLength(1);
    const idle = scripted([]);
    setTimeout(() => (stop = true), 20);
    expect(await collectWhileArriving(idle.consumer, { ...options, stopped: () => stop })).toEqual([]);
  });
});

describe('collectWhileArriving, held or behind a busy writer', () => {
  it('keeps gathering for minLingerMs after the first record even when polls find nothing', async () => {
    const { consumer, polls } = scripted([records(0, 1), [], { afterMs: 5, records: records(1, 1) }, []]);
    const batch = await collectWhileArriving(consumer, { ...options, minLingerMs: 40 });
    expect(batch.map((r) => r.offset)).toEqual(['0', '1']);
    // While held, a poll may wait for the rest of the minimum linger, not only the arrival gap.
    expect(polls[1]!.timeoutMs).toBeGreaterThan(5);
  });

  it('never holds a batch longer than lingerMs', async () => {
    // A minimum linger beyond the test's timeout: only lingerMs can end this batch.
    const { consumer } = scripted([records(0, 1)]);
    const batch = await collectWhileArriving(consumer, { ...options, lingerMs: 20, minLingerMs: 60_000 });
    expect(batch).toHaveLength(1);
  });

  it('keeps gathering while the writer is busy, and hands the batch over once it is free', async () => {
    let busy = true;
    setTimeout(() => (busy = false), 60);
    // Records after two empty polls still join the batch; the linger (beyond the test's timeout)
    // cannot be what ends it.
    const { consumer } = scripted([records(0, 1), [], [], { afterMs: 20, records: records(1, 2) }, []]);
    const batch = await collectWhileArriving(consumer, { ...options, lingerMs: 60_000, busy: () => busy });
    expect(batch.map((r) => r.offset)).toEqual(['0', '1', '2']);
    expect(busy).toBe(false);
  });

  it('ends at the first empty poll when the writer is idle', async () => {
    const { consumer } = scripted([records(0, 1), [], records(1, 1)]);
    expect(await collectWhileArriving(consumer, { ...options, busy: () => false })).toHaveLength(1);
  });
});
