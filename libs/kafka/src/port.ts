/** Header values travel as bytes; strings are UTF-8 encoded. */
export type HeaderValue = string | Buffer;

/** A record to produce. Zenthos keys every record by device id (DESIGN.md). */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
  readonly partition?: number;
  readonly timestampMs?: number;
}

/** Where a produced record landed. */
export interface Delivery {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A record read from Kafka. */
export interface IncomingRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offsets are 64-bit; kept as decimal strings. */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly timestampMs: number;
}

/** The position to commit after a record has been fully handled: its offset + 1. */
export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Produces records. `send` resolves only once the broker has acknowledged every record
 * (idempotent producer, acks=all), which is what lets upstream acknowledge (MQTT PUBACK,
 * offset commits) without ever losing an acknowledged message.
 */
export interface ProducerPort {
  connect(): Promise<void>;
  send(records: readonly OutgoingRecord[]): Promise<Delivery[]>;
  disconnect(): Promise<void>;
}

/** Reads records as a member of a consumer group, committing explicitly. */
export interface ConsumerPort {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /** Up to `max` records, waiting at most `timeoutMs` when none are ready. */
  poll(max: number, timeoutMs: number): Promise<IncomingRecord[]>;
  /** Commits positions (offset of the next record to read); resolves only once the group coordinator accepted them. */
  commit(positions: readonly CommitPosition[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** Settings shared by both client libraries. */
export interface KafkaClientSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

/** The next position after a record. */
export const nextPosition = (r: Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>): CommitPosition => ({
  topic: r.topic,
  partition: r.partition,
  offset: (BigInt(r.offset) + 1n).toString(),
});
