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

const toError = (err: unknown, code: 'ZEN_KAFKA_PRODUCE_FAILED' | 'ZEN_KAFKA_CONSUME_FAILED'): ZenthosError => {
  const e = err as Partial<LibrdKafkaError> & Error;
  // librdkafka marks transient failures (broker down, timeouts) as retriable.
  const retriable = e.isRetriable === true || e.code === -185 /* timed out */ || e.code === -195; /* transport */
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

/** Consumer group member on node-rdkafka with auto-commit off: offsets move only through `commit`. */
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
    } as never,
    { 'auto.offset.reset': settings.fromBeginning === false ? 'latest' : 'earliest' },
  );
  return {
    connect: () =>
      new Promise((resolve, reject) => {
        consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(toError(err, 'ZEN_KAFKA_CONSUME_FAILED')) : resolve()));
      }),
    subscribe: async (topics) => {
      consumer.subscribe([...topics]);
    },
    poll: (max, timeoutMs) =>
      new Promise((resolve, reject) => {
        consumer.setDefaultConsumeTimeout(timeoutMs);
        consumer.consume(max, (err, messages) =>
          err ? reject(toError(err, 'ZEN_KAFKA_CONSUME_FAILED')) : resolve(toIncomingBatch(messages)),
        );
      }),
    commit: async (positions: readonly CommitPosition[]) => {
      if (positions.length === 0) return;
      try {
        consumer.commitSync(positions.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) })));
      } catch (err) {
        throw toError(err, 'ZEN_KAFKA_CONSUME_FAILED');
      }
    },
    disconnect: () => new Promise((resolve) => consumer.disconnect(() => resolve())),
  };
}
