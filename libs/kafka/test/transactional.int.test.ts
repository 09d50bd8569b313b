import { randomUUID } from 'node:crypto';
import { Producer } from 'node-rdkafka';
import type { Admin } from 'kafkajs';
import { commonEnv, loadConfig, type ZenthosError } from '@zenthos/core';
import {
  createKafkajs,
  createRdkafkaConsumer,
  createRdkafkaProducer,
  createRdkafkaTransactionalPipe,
  ensureTopics,
  nextPosition,
  type IncomingRecord,
  type TransactionalPipe,
} from '../src';

const { KAFKA_BROKERS: brokers } = loadConfig({ KAFKA_BROKERS: commonEnv.KAFKA_BROKERS }, process.env);

jest.setTimeout(120_000);

const readCommitted = async (topic: string, idleMs = 3_000): Promise<string[]> => {
  const c = createRdkafkaConsumer({ brokers, clientId: 'tx-test-reader', groupId: `tx-reader-${randomUUID()}` });
  await c.connect();
  await c.subscribe([topic]);
  const out: string[] = [];
  let last = Date.now();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && Date.now() - last < idleMs + 3_000) {
    const batch = await c.poll(100, 200);
    if (batch.length > 0) last = Date.now();
    out.push(...batch.map((r) => r.value?.toString() ?? ''));
  }
  await c.disconnect();
  return out;
};

const pollUntil = async (pipe: TransactionalPipe, n: number): Promise<IncomingRecord[]> => {
  const got: IncomingRecord[] = [];
  const deadline = Date.now() + 30_000;
  while (got.length < n && Date.now() < deadline) got.push(...(await pipe.poll(n - got.length, 200)));
  return got;
};

describe('transactional pipe (consume → produce exactly once)', () => {
  let admin: Admin;
  const topics: string[] = [];
  beforeAll(async () => {
    admin = createKafkajs({ brokers, clientId: 'tx-test' }).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('re-initialises a fenced producer, rewinds, and commits the batch on the next attempt', async () => {
    const input = `test.tx.in.${randomUUID()}`;
    const output = `test.tx.out.${randomUUID()}`;
    topics.push(input, output);
    await ensureTopics(admin, [
      { topic: input, partitions: 1 },
      { topic: output, partitions: 1 },
    ]);
    const producer = createRdkafkaProducer({ brokers, clientId: 'tx-test-producer' });
    await producer.connect();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: input, key: 'k', value: Buffer.from(`r${i}`) })));
    await producer.disconnect();

    const transactionalId = `tx-test-${randomUUID()}`;
    const groupId = `tx-test-${randomUUID()}`;
    const errors: Array<[string, string]> = [];
    const pipe = createRdkafkaTransactionalPipe({
      brokers,
      clientId: 'tx-test',
      groupId,
      transactionalId,
      transactionTimeoutMs: 10_000,
      onTransactionError: (err: ZenthosError, action) => errors.push([err.code, action]),
    });
    await pipe.connect();
    await pipe.subscribe([input]);
    try {
      const first = await pollUntil(pipe, 5);
      expect(first.map((r) => r.value?.toString())).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
      const out = (rs: IncomingRecord[]) => rs.map((r) => ({ topic: output, key: r.key, value: r.value }));
      await pipe.commitBatch(out(first), [nextPosition(first[4]!)], [first[0]!]);

      // A second producer with the same transactional.id fences this one (a zombie scenario).
      const rival = new Producer({ 'metadata.broker.list': brokers.join(','), 'transactional.id': transactionalId } as never, {});
      await new Promise<void>((resolve, reject) => rival.connect({}, (err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve, reject) => rival.initTransactions(10_000, (err) => (err ? reject(err) : resolve())));
      await new Promise<void>((resolve) => rival.disconnect(() => resolve()));

      const second = await pollUntil(pipe, 5);
      expect(second.map((r) => r.value?.toString())).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
      await expect(pipe.commitBatch(out(second), [nextPosition(second[4]!)], [second[0]!])).rejects.toMatchObject({
        code: 'ZEN_KAFKA_TRANSACTION_FAILED',
        retriable: true,
      });
      expect(errors.map(([, action]) => action)).toContain('reinitialised');

      // Rewound: the same records come again, and now commit with the new producer.
      const again = await pollUntil(pipe, 5);
      expect(again.map((r) => r.value?.toString())).toEqual(['r5', 'r6', 'r7', 'r8', 'r9']);
      await pipe.commitBatch(out(again), [nextPosition(again[4]!)], [again[0]!]);
    } finally {
      await pipe.disconnect();
    }
    expect(await readCommitted(output)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    const committed = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(committed[0]?.partitions[0]?.offset).toBe('10');
  });
});
