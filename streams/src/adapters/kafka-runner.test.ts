import { createLogger, ZenthosError } from '@zenthos/core';
import type { CommitPosition, IncomingRecord, OutgoingRecord, TransactionalPipe } from '@zenthos/kafka';
import { createBatchHandler } from '../domain/batch';
import { createStreamMetrics } from '../metrics';
import { createProcessorRunner } from './kafka-runner';
import { metrics as otel } from '@opentelemetry/api';

/**
 * An in-memory TransactionalPipe over two partitions: polls return records from the read
 * position, commits apply outputs and offsets atomically, and chosen commits fail — so the
 * runner's overlap of processing and committing can be checked for skips and doubles.
 */
function createMemoryPipe(perPartition: number, failCommits: ReadonlySet<number>) {
  const partitions = [0, 1];
  const log = new Map(partitions.map((p) => [p, Array.from({ length: perPartition }, (_, i) => `p${p}-${i}`)]));
  const position = new Map(partitions.map((p) => [p, 0]));
  const committed: string[] = [];
  const offsets = new Map(partitions.map((p) => [p, 0]));
  let commits = 0;
  const batchSizes: number[] = [];
  let turn = 0;
  const pipe: TransactionalPipe = {
    connect: async () => undefined,
    subscribe: async () => undefined,
    async poll(max) {
      await new Promise((resolve) => setImmediate(resolve));
      // Alternate partitions and take a few records each time, as fetches do.
      const p = partitions[turn++ % partitions.length] as number;
      const from = position.get(p) as number;
      const values = (log.get(p) as string[]).slice(from, from + Math.min(max, 3));
      position.set(p, from + values.length);
      return values.map((v, i): IncomingRecord => ({
        topic: 'in',
        partition: p,
        offset: String(from + i),
        key: null,
        value: Buffer.from(v),
        headers: {},
        timestampMs: 0,
      }));
    },
    async commitBatch(records: readonly OutgoingRecord[], positions: readonly CommitPosition[], rewindTo: readonly CommitPosition[]) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (failCommits.has(++commits)) {
        for (const r of rewindTo) position.set(r.partition, Number(r.offset));
        throw new ZenthosError('ZEN_KAFKA_TRANSACTION_FAILED', `commit ${commits} aborted`, true);
      }
      committed.push(...records.map((r) => r.value?.toString() ?? ''));
      batchSizes.push(records.length);
      for (const p of positions) offsets.set(p.partition, Number(p.offset));
    },
    async rewind(to) {
      for (const r of to) position.set(r.partition, Number(r.offset));
    },
    assignment: () => partitions.map((partition) => ({ topic: 'in', partition })),
    lag: async () => [],
    onRebalance: () => undefined,
    disconnect: async () => undefined,
  };
  return { pipe, committed, offsets, batchSizes };
}

const startRunner = (pipe: TransactionalPipe, transactionIntervalMs: number) => {
  const handleBatch = createBatchHandler(
    { pipeline: 't', steps: [], sinkTopics: ['out'], dlqTopic: 'dlq' },
    { codec: { decode: async (b) => b.toString(), encode: async (_t, v) => Buffer.from(String(v)) }, clock: { nowMs: () => 0 } },
  );
  return createProcessorRunner(
    {
      pipeline: 't',
      groupId: 'g',
      sourceTopics: ['in'],
      batchMax: 10,
      pollTimeoutMs: 1,
      transactionIntervalMs,
      lagIntervalMs: 60_000,
      progressIntervalMs: 60_000,
    },
    {
      pipe,
      handleBatch,
      metrics: createStreamMetrics(otel.getMeter('test')),
      logger: createLogger({ service: 'test', level: 'silent' }),
    },
  );
};

describe('processor runner', () => {
  it.each([
    ['no failures', [], 0],
    ['the first commit fails', [1], 0],
    ['every third commit fails', [3, 6, 9, 12], 0],
    ['two commits in a row fail', [4, 5], 0],
    ['batches are topped up for a transaction interval', [], 50],
    ['batches are topped up and every third commit fails', [3, 6, 9], 50],
  ])('commits every record exactly once when %s', async (_name, failing, intervalMs) => {
    const { pipe, committed, offsets } = createMemoryPipe(20, new Set(failing));
    const runner = startRunner(pipe, intervalMs);
    const done = runner.run();
    const deadline = Date.now() + 10_000;
    while ((offsets.get(0) !== 20 || offsets.get(1) !== 20) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await runner.stop();
    await done;
    expect([...committed].sort()).toEqual([0, 1].flatMap((p) => Array.from({ length: 20 }, (_, i) => `p${p}-${i}`)).sort());
    // Per-partition order is kept.
    for (const p of [0, 1]) {
      const mine = committed.filter((v) => v.startsWith(`p${p}-`));
      expect(mine).toEqual(Array.from({ length: 20 }, (_, i) => `p${p}-${i}`));
    }
  });

  it('tops a batch up to batchMax while the transaction interval lasts, so a steady stream makes fewer transactions', async () => {
    // Polls give at most 3 records; without topping up every transaction would hold 3.
    const { pipe, offsets, batchSizes } = createMemoryPipe(20, new Set());
    const runner = startRunner(pipe, 300);
    const done = runner.run();
    const deadline = Date.now() + 10_000;
    while ((offsets.get(0) !== 20 || offsets.get(1) !== 20) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await runner.stop();
    await done;
    // The first batch goes at once (no transaction before it); the others fill up to batchMax.
    expect(batchSizes.slice(1, -1).every((n) => n === 10)).toBe(true);
    expect(batchSizes.reduce((a, b) => a + b, 0)).toBe(40);
  });
});
