import { KafkaConsumer, Producer, type LibrdKafkaError, type MessageHeader } from 'node-rdkafka';
import { ZenthosError } from '@zenthos/core';
import type { CommitPosition, HeaderValue, KafkaClientSettings, OutgoingRecord } from '../port';
import type { PartitionLag, RebalanceEvent, TransactionalPipe } from '../transactions';
import { toIncomingBatch, type RdkafkaProperties } from './rdkafka';

/** Settings of {@link createRdkafkaTransactionalPipe}. */
export interface TransactionalPipeSettings extends KafkaClientSettings {
  readonly groupId: string;
  /** Unique per running instance; the same id after a restart fences the old incarnation at once. */
  readonly transactionalId: string;
  /** `transaction.timeout.ms`: how long the broker waits before aborting a transaction of a dead producer. */
  readonly transactionTimeoutMs?: number;
  /** Time limit of one init/commit/abort call. */
  readonly operationTimeoutMs?: number;
  readonly consumerOverrides?: RdkafkaProperties;
  readonly producerOverrides?: RdkafkaProperties;
  /** Told about every transaction that had to be aborted or whose producer was re-created. */
  readonly onTransactionError?: (err: ZenthosError, action: 'retried' | 'aborted' | 'reinitialised') => void;
}

const ERR_TIMED_OUT = -185;

const asError = (err: unknown, what: string): ZenthosError => {
  const e = err as Partial<LibrdKafkaError> & Error;
  return new ZenthosError('ZEN_KAFKA_TRANSACTION_FAILED', `kafka ${what}: ${e.message ?? String(err)}`, true, { cause: err });
};

const call = (what: string, fn: (cb: (err: LibrdKafkaError | null | undefined) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => fn((err) => (err ? reject(Object.assign(err, { what })) : resolve())));

/**
 * A {@link TransactionalPipe} on node-rdkafka. Error handling follows librdkafka's
 * transactional API contract (INTRODUCTION.md, "Transactional Producer"): a retriable commit
 * error is retried; an abortable one aborts; a fatal error — or a timeout, after which the
 * transaction's fate is unknown — means the producer is disposed of and a new one calls
 * initTransactions, which fences the old one and aborts whatever it left open.
 */
export function createRdkafkaTransactionalPipe(settings: TransactionalPipeSettings): TransactionalPipe {
  const opTimeoutMs = settings.operationTimeoutMs ?? 30_000;
  const listeners: Array<(e: RebalanceEvent) => void> = [];
  const consumer = new KafkaConsumer(
    {
      'client.id': settings.clientId,
      'group.id': settings.groupId,
      'metadata.broker.list': settings.brokers.join(','),
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'socket.keepalive.enable': true,
      // Bounds what librdkafka prefetches per partition: backpressure reaches the broker.
      'queued.max.messages.kbytes': 16_384,
      'max.poll.interval.ms': 300_000,
      // node-rdkafka's consume(n) waits for n records as long as each arrives within the
      // timeout; partition EOF events end a batch as soon as the partitions are drained, so a
      // trickle of records is not held back until a batch fills up.
      'enable.partition.eof': true,
      rebalance_cb: true,
      ...settings.consumerOverrides,
    } as never,
    { 'auto.offset.reset': 'earliest' },
  );
  consumer.on('rebalance', (err, assignment) => {
    const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    const kind = err.code === -175 ? 'assigned' : 'revoked';
    for (const l of listeners) l({ kind, partitions });
  });

  const newProducer = (): Producer =>
    new Producer(
      {
        'client.id': `${settings.clientId}-tx`,
        'metadata.broker.list': settings.brokers.join(','),
        'transactional.id': settings.transactionalId,
        'transaction.timeout.ms': settings.transactionTimeoutMs ?? 60_000,
        'enable.idempotence': true,
        acks: 'all',
        'linger.ms': 5,
        'compression.codec': 'lz4',
        'socket.keepalive.enable': true,
        // A transaction begun right after the previous commit often finds the coordinator still
        // writing that commit's markers: AddPartitionsToTxn / AddOffsetsToTxn answer
        // CONCURRENT_TRANSACTIONS and librdkafka retries after retry.backoff.ms, 100 ms by
        // default — a tenth of a second added to one transaction in ten on a busy pipe (measured
        // here: mean commit 35 ms, p90 115 ms; with 10 ms: mean 7 ms, p90 15 ms). Backoff still
        // grows exponentially up to retry.backoff.max.ms for errors that persist.
        'retry.backoff.ms': 10,
        ...settings.producerOverrides,
      } as never,
      {},
    );
  let producer = newProducer();

  const startProducer = async (p: Producer): Promise<void> => {
    await call('connect', (cb) => p.connect({ timeout: 10_000 }, (err) => cb(err as LibrdKafkaError)));
    p.setPollInterval(10);
    await call('initTransactions', (cb) => p.initTransactions(opTimeoutMs, cb));
  };

  const reinitialise = async (): Promise<void> => {
    const old = producer;
    await new Promise<void>((resolve) => old.disconnect(5_000, () => resolve()));
    producer = newProducer();
    await startProducer(producer);
  };

  const rewind = async (positions: readonly CommitPosition[]): Promise<void> => {
    const assigned = new Set(consumer.assignments().map((a) => `${a.topic}\u0000${a.partition}`));
    for (const p of positions) {
      // A partition revoked meanwhile is not ours to rewind: its new owner starts from the
      // committed offset, which this batch never moved.
      if (!assigned.has(`${p.topic}\u0000${p.partition}`)) continue;
      await call('seek', (cb) =>
        consumer.seek({ topic: p.topic, partition: p.partition, offset: Number(p.offset) }, opTimeoutMs, cb),
      ).catch(() => undefined);
    }
  };

  const produceAll = async (records: readonly OutgoingRecord[]): Promise<void> => {
    for (const r of records) {
      // for…in over the headers: no entries array and key/value pair per header and record.
      // Values go as strings: node-rdkafka turns each value into a string in C++ (Nan::To<String>),
      // which for a Buffer is a call back into JavaScript's Buffer#toString per header and record;
      // the same UTF-8 conversion done here costs no such round trip.
      // No array at all for a record without headers (the processor's outputs when the raw
      // record carried no trace context): node-rdkafka then skips its per-record header walk.
      let headers: MessageHeader[] | undefined;
      for (const k in r.headers) {
        const v = r.headers[k] as HeaderValue;
        (headers ??= []).push({ [k]: typeof v === 'string' ? v : v.toString() });
      }
      for (;;) {
        try {
          producer.produce(r.topic, r.partition ?? null, r.value, r.key ?? undefined, r.timestampMs ?? null, undefined, headers);
          break;
        } catch (err) {
          // Local queue full: let librdkafka drain it, then try again (bounded in-flight).
          if ((err as LibrdKafkaError).code !== -184) throw err;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
  };

  // `take` hands the records over once: librdkafka holds its own copies after produce, so the
  // batch's records need not stay referenced (by this function's suspended frame) until the
  // transaction has committed.
  const runTransaction = async (take: () => readonly OutgoingRecord[], positions: readonly CommitPosition[]): Promise<void> => {
    await call('beginTransaction', (cb) => producer.beginTransaction(cb));
    await produceAll(take());
    if (positions.length > 0) {
      await call('sendOffsetsToTransaction', (cb) =>
        producer.sendOffsetsToTransaction(
          positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) })),
          consumer,
          opTimeoutMs,
          cb,
        ),
      );
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await call('commitTransaction', (cb) => producer.commitTransaction(opTimeoutMs, cb));
        return;
      } catch (err) {
        const e = err as LibrdKafkaError;
        if (e.isRetriable && !e.isFatal && !e.isTxnRequiresAbort && e.code !== ERR_TIMED_OUT && attempt < 5) {
          settings.onTransactionError?.(asError(err, 'commitTransaction'), 'retried');
          continue;
        }
        throw err;
      }
    }
  };

  const commitTaken = async (
    take: () => readonly OutgoingRecord[],
    positions: readonly CommitPosition[],
    rewindTo: readonly CommitPosition[],
  ): Promise<void> => {
    try {
      await runTransaction(take, positions);
    } catch (err) {
      const e = err as LibrdKafkaError;
      const failure = asError(err, (err as { what?: string }).what ?? 'transaction');
      if (e.isFatal || e.code === ERR_TIMED_OUT || !e.isTxnRequiresAbort) {
        // Fatal, timed out (outcome unknown) or a state we cannot reason about: a new
        // producer with the same transactional.id aborts the open transaction for us.
        settings.onTransactionError?.(failure, 'reinitialised');
        await reinitialise().catch((reinitErr: unknown) => {
          throw asError(reinitErr, 'producer re-initialisation');
        });
      } else {
        settings.onTransactionError?.(failure, 'aborted');
        await call('abortTransaction', (cb) => producer.abortTransaction(opTimeoutMs, cb)).catch(async () => reinitialise());
      }
      await rewind(rewindTo);
      throw failure;
    }
  };

  return {
    async connect() {
      await call('connect', (cb) => consumer.connect({ timeout: 10_000 }, (err) => cb(err as LibrdKafkaError))).catch((err: unknown) => {
        throw new ZenthosError('ZEN_KAFKA_CONSUME_FAILED', `kafka consumer connect: ${(err as Error).message}`, true, { cause: err });
      });
      await startProducer(producer).catch((err: unknown) => {
        throw asError(err, 'producer init');
      });
    },
    async subscribe(topics) {
      consumer.subscribe([...topics]);
    },
    poll: (max, timeoutMs) =>
      new Promise((resolve, reject) => {
        consumer.setDefaultConsumeTimeout(timeoutMs);
        consumer.consume(max, (err, messages) =>
          err
            ? reject(new ZenthosError('ZEN_KAFKA_CONSUME_FAILED', `kafka consume: ${err.message}`, true, { cause: err }))
            : resolve(toIncomingBatch(messages)),
        );
      }),
    commitBatch(records, positions, rewindTo) {
      // Not an async function itself: its parameters would stay referenced until the commit ends.
      let held: readonly OutgoingRecord[] | undefined = records;
      const take = (): readonly OutgoingRecord[] => {
        const r = held ?? [];
        held = undefined;
        return r;
      };
      return commitTaken(take, positions, rewindTo);
    },
    rewind,
    assignment: () => consumer.assignments().map((a) => ({ topic: a.topic, partition: a.partition })),
    async lag(timeoutMs = 5_000) {
      const assigned = consumer.assignments();
      if (assigned.length === 0) return [];
      const positions = new Map(consumer.position(assigned).map((p) => [`${p.topic}\u0000${p.partition}`, p.offset]));
      const out: PartitionLag[] = [];
      for (const a of assigned) {
        const high = await new Promise<number>((resolve) =>
          consumer.queryWatermarkOffsets(a.topic, a.partition, timeoutMs, (err, w) => resolve(err ? -1 : w.highOffset)),
        );
        if (high < 0) continue;
        let position = positions.get(`${a.topic}\u0000${a.partition}`);
        if (position === undefined || position < 0) {
          const committed = await new Promise<number>((resolve) =>
            consumer.committed([{ topic: a.topic, partition: a.partition }], timeoutMs, (err, tps) =>
              resolve(err ? -1 : (tps[0]?.offset ?? -1)),
            ),
          );
          position = committed < 0 ? 0 : committed;
        }
        out.push({
          topic: a.topic,
          partition: a.partition,
          position: String(position),
          highWatermark: String(high),
          lag: Math.max(0, high - position),
        });
      }
      return out;
    },
    onRebalance(listener) {
      listeners.push(listener);
    },
    async disconnect() {
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      await new Promise<void>((resolve) => producer.disconnect(5_000, () => resolve()));
    },
  };
}
