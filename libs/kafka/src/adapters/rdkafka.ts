import { KafkaConsumer, Producer, type DeliveryReport, type LibrdKafkaError, type Message, type MessageHeader } from 'node-rdkafka';
import { ZenthosError } from '@zenthos/core';
import type {
  CommitPosition,
  ConsumerPort,
  Delivery,
  HeaderValue,
  IncomingRecord,
  KafkaClientSettings,
  OutgoingRecord,
  ProducerPort,
} from '../port';

/** librdkafka properties passed through as they are (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md). */
export type RdkafkaProperties = Readonly<Record<string, string | number | boolean>>;

const toError = (err: unknown, code: 'ZEN_KAFKA_PRODUCE_FAILED' | 'ZEN_KAFKA_CONSUME_FAILED', alwaysRetriable = false): ZenthosError => {
  const e = err as Partial<LibrdKafkaError> & Error;
  // librdkafka marks transient failures (broker down, timeouts) as retriable.
  const retriable = alwaysRetriable || e.isRetriable === true || e.code === -185 /* timed out */ || e.code === -195; /* transport */
  return new ZenthosError(code, `kafka: ${e.message ?? String(err)}`, retriable, { cause: err });
};

/** Called once with a record's delivery report: no error once the broker acknowledged it. */
export type DeliveryCallback = (err: ZenthosError | undefined) => void;

// What travels as librdkafka's per-message opaque and comes back with the delivery report.
type Settle = (err: ZenthosError | undefined, report: DeliveryReport) => void;
const deliveryOf = (report: DeliveryReport): Delivery => ({
  topic: report.topic,
  partition: report.partition,
  offset: String(report.offset),
});

/**
 * The port's producer plus a per-record call without a promise, for callers that hand over
 * one record at a time on a hot path (the MQTT bridge: one record per PUBLISH).
 */
export interface RdkafkaProducerPort extends ProducerPort {
  /**
   * Hands one record to librdkafka; `done` runs once, never synchronously: without an error
   * once the broker acknowledged the record (acks=all), with a ZenthosError
   * (ZEN_KAFKA_PRODUCE_FAILED) when it was not taken or not delivered. It runs inside
   * node-rdkafka's delivery-report event, so it must not throw.
   */
  produce(record: OutgoingRecord, done: DeliveryCallback): void;
}

/** Options of {@link createRdkafkaProducer} beyond librdkafka properties. */
export interface RdkafkaProducerOptions {
  /**
   * How often delivery reports are polled (default 10 ms). Each `send` settles at the next poll
   * after the broker's acknowledgement, so a latency-bound caller (a PUBACK waits on it) polls
   * more often.
   */
  readonly pollIntervalMs?: number;
}

/**
 * Producer on node-rdkafka (librdkafka): idempotent, acks=all, lz4, and a promise per record
 * (or a callback, with `produce`) settled by its delivery report.
 */
export function createRdkafkaProducer(
  settings: KafkaClientSettings,
  overrides: RdkafkaProperties = {},
  options: RdkafkaProducerOptions = {},
): RdkafkaProducerPort {
  const producer = new Producer(
    {
      'client.id': settings.clientId,
      'metadata.broker.list': settings.brokers.join(','),
      'enable.idempotence': true,
      acks: 'all',
      dr_cb: true,
      'linger.ms': 5,
      'compression.codec': 'lz4',
      'socket.keepalive.enable': true,
      ...overrides,
    } as never,
    {},
  );
  // The record's callback travels as librdkafka's per-message opaque and comes back in its
  // delivery report, so no id → callback map is kept per record.
  producer.on('delivery-report', (err, report) => {
    const settle = report.opaque as Settle | undefined;
    if (typeof settle === 'function') settle(err ? toError(err, 'ZEN_KAFKA_PRODUCE_FAILED') : undefined, report);
  });
  const produce = (r: OutgoingRecord, done: Settle): void => {
    let headers: MessageHeader[] | undefined;
    if (r.headers) {
      headers = [];
      for (const k in r.headers) headers.push({ [k]: r.headers[k] as HeaderValue });
    }
    try {
      producer.produce(r.topic, r.partition ?? null, r.value, r.key ?? undefined, r.timestampMs ?? null, done, headers);
    } catch (err) {
      // Settled later like a delivery report, so a caller's state is never re-entered.
      const e = toError(err, 'ZEN_KAFKA_PRODUCE_FAILED');
      queueMicrotask(() => done(e, undefined as never));
    }
  };
  const sendOne = (r: OutgoingRecord): Promise<Delivery> =>
    new Promise((resolve, reject) => produce(r, (err, report) => (err ? reject(err) : resolve(deliveryOf(report)))));
  return {
    connect: () =>
      new Promise((resolve, reject) => {
        producer.connect({ timeout: 10_000 }, (err) => (err ? reject(toError(err, 'ZEN_KAFKA_PRODUCE_FAILED')) : resolve()));
        producer.setPollInterval(options.pollIntervalMs ?? 10);
      }),
    produce,
    send(records) {
      // One record takes one promise, not one per record plus Promise.all.
      if (records.length === 1) {
        const r = records[0] as OutgoingRecord;
        return new Promise<Delivery[]>((resolve, reject) =>
          produce(r, (err, report) => (err ? reject(err) : resolve([deliveryOf(report)]))),
        );
      }
      return Promise.all(records.map(sendOne));
    },
    disconnect: () =>
      new Promise((resolve) => {
        producer.flush(10_000, () => producer.disconnect(() => resolve()));
      }),
  };
}

const asBuffer = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)));

/**
 * A node-rdkafka message as the port's record (headers as Buffers, offsets as strings).
 *
 * Called once per consumed record, so it allocates only the record and its headers object:
 * node-rdkafka hands headers as an array of single-key objects, which are walked with indexed
 * loops and for…in instead of for…of and Object.entries (an iterator and a [key, value] array
 * per header). node-rdkafka gives keys, values and header values as Buffers already; the
 * conversions only cover other shapes.
 */
export const toIncoming = (m: Message): IncomingRecord => {
  const headers: Record<string, Buffer> = {};
  const hs = m.headers;
  if (hs !== undefined && hs !== null) {
    for (let i = 0; i < hs.length; i++) {
      const h = hs[i] as MessageHeader;
      for (const k in h) headers[k] = asBuffer(h[k]);
    }
  }
  const key = m.key;
  return {
    topic: m.topic,
    partition: m.partition,
    offset: String(m.offset),
    key: key === undefined || key === null ? null : asBuffer(key),
    value: m.value ?? null,
    headers,
    timestampMs: m.timestamp ?? 0,
  };
};

/**
 * Converts a consumed batch in place: node-rdkafka's array is fresh per consume call and owned
 * by the caller, so it is reused as the result instead of allocating a second array with map.
 */
export const toIncomingBatch = (messages: Message[]): IncomingRecord[] => {
  const out = messages as unknown as IncomingRecord[];
  for (let i = 0; i < messages.length; i++) out[i] = toIncoming(messages[i] as Message);
  return out;
};

// A commit waiting for its result: the offsets it asked for, as a key to match the result by.
interface PendingCommit {
  readonly key: string;
  readonly resolve: () => void;
  readonly reject: (err: ZenthosError) => void;
}

type CommittedOffset = { topic: string; partition: number; offset?: number };
const commitKey = (offsets: readonly CommittedOffset[]): string =>
  offsets
    .map((o) => `${o.topic}\0${o.partition}\0${o.offset ?? ''}`)
    .sort()
    .join('\n');

// How long one consume call made only to serve a pending commit's result waits for a record.
const COMMIT_SERVE_TIMEOUT_MS = 5;
// Records one such call takes (held for the next poll). There is no cap on what is held: a commit
// whose result waits behind a full hold would never be answered while its caller waits for it
// before polling again; a commit is answered within a round trip, so the hold stays small.
const COMMIT_SERVE_MAX = 500;

/**
 * Consumer group member on node-rdkafka with auto-commit off: offsets move only through `commit`.
 *
 * `commit` is librdkafka's asynchronous commit: the event loop does not block on the round trip
 * to the group coordinator (commitSync did, about 120 ms of main-thread time per 50,000-record
 * sink run). Its promise settles from librdkafka's offset_commit_cb, which librdkafka serves only
 * inside a consume call (node-rdkafka's KafkaConsumer forwards the main queue to the consumer
 * queue), so while a commit waits and no `poll` is running the adapter makes short consume calls
 * of its own; the records they return are held, in order, and handed to the next `poll` first.
 * Consume calls never overlap, so records reach the caller in the order librdkafka returned them.
 */
export function createRdkafkaConsumer(
  settings: KafkaClientSettings & { groupId: string; fromBeginning?: boolean },
  overrides: RdkafkaProperties = {},
): ConsumerPort {
  const consumer = new KafkaConsumer(
    {
      'client.id': settings.clientId,
      'group.id': settings.groupId,
      'metadata.broker.list': settings.brokers.join(','),
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'isolation.level': 'read_committed',
      'socket.keepalive.enable': true,
      ...overrides,
      offset_commit_cb: true,
    } as never,
    { 'auto.offset.reset': settings.fromBeginning === false ? 'latest' : 'earliest' },
  );

  const commits: PendingCommit[] = [];
  // One result per commitAsync, in the order the coordinator answers. Matched by the offsets it
  // reports (a failure decided locally can overtake one still on the wire); two commits of the
  // same offsets take their results in the order they were made.
  consumer.on('offset.commit', (err: LibrdKafkaError | undefined, offsets: CommittedOffset[]) => {
    const key = commitKey(offsets ?? []);
    let i = commits.findIndex((c) => c.key === key);
    if (i < 0) i = 0;
    const c = commits.splice(i, 1)[0];
    if (!c) return;
    if (err) c.reject(toError(err, 'ZEN_KAFKA_CONSUME_FAILED', true));
    else c.resolve();
  });

  // The one consume call running, if any; records taken while serving a commit, not yet polled.
  let consuming: Promise<void> | undefined;
  let held: Message[] = [];
  let heldError: unknown;
  let connected = false;

  const consumeOnce = (max: number, timeoutMs: number): Promise<Message[]> =>
    new Promise((resolve, reject) => {
      consumer.setDefaultConsumeTimeout(timeoutMs);
      consumer.consume(max, (err, messages) => (err ? reject(err) : resolve(messages)));
    });

  // Serves pending commits' results while no poll is consuming.
  const serveCommits = (): void => {
    if (consuming || commits.length === 0 || !connected) return;
    consuming = consumeOnce(COMMIT_SERVE_MAX, COMMIT_SERVE_TIMEOUT_MS).then(
      (messages) => {
        for (let i = 0; i < messages.length; i++) held.push(messages[i] as Message);
        consuming = undefined;
        serveCommits();
      },
      (err: unknown) => {
        heldError ??= err;
        consuming = undefined;
        serveCommits();
      },
    );
  };

  const poll = async (max: number, timeoutMs: number): Promise<IncomingRecord[]> => {
    // Records held by a commit's consume call come first; a poll never overlaps another call.
    while (consuming && held.length === 0) await consuming;
    if (held.length > 0) {
      const out = held.length <= max ? held : held.splice(0, max);
      if (out === held) held = [];
      serveCommits();
      return toIncomingBatch(out);
    }
    if (heldError !== undefined) {
      const err = heldError;
      heldError = undefined;
      throw toError(err, 'ZEN_KAFKA_CONSUME_FAILED');
    }
    const run = consumeOnce(max, timeoutMs);
    consuming = run.then(
      () => undefined,
      () => undefined,
    );
    try {
      return toIncomingBatch(await run);
    } catch (err) {
      throw toError(err, 'ZEN_KAFKA_CONSUME_FAILED');
    } finally {
      consuming = undefined;
      serveCommits();
    }
  };

  return {
    connect: () =>
      new Promise((resolve, reject) => {
        consumer.connect({ timeout: 10_000 }, (err) => {
          if (err) return reject(toError(err, 'ZEN_KAFKA_CONSUME_FAILED'));
          connected = true;
          resolve();
        });
      }),
    subscribe: async (topics) => {
      consumer.subscribe([...topics]);
    },
    poll,
    commit: (positions: readonly CommitPosition[]) => {
      if (positions.length === 0) return Promise.resolve();
      const offsets = positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) }));
      return new Promise<void>((resolve, reject) => {
        try {
          consumer.commit(offsets);
        } catch (err) {
          reject(toError(err, 'ZEN_KAFKA_CONSUME_FAILED', true));
          return;
        }
        commits.push({ key: commitKey(offsets), resolve, reject });
        serveCommits();
      });
    },
    disconnect: async () => {
      while (consuming) await consuming;
      connected = false;
      await new Promise<void>((resolve) => consumer.disconnect(() => resolve()));
      // Results that never came: the offsets may or may not be committed; the caller re-reads.
      for (const c of commits.splice(0)) {
        c.reject(new ZenthosError('ZEN_KAFKA_CONSUME_FAILED', 'kafka: consumer disconnected before the commit was answered', true));
      }
    },
  };
}
