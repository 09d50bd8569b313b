import type { CommitPosition, IncomingRecord, OutgoingRecord } from './port';

/** A partition of a topic. */
export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** Consumer lag of one assigned partition: records between the read position and the end. */
export interface PartitionLag extends TopicPartitionRef {
  readonly position: string;
  readonly highWatermark: string;
  readonly lag: number;
}

/** A change of this member's partitions. */
export type RebalanceEvent = { readonly kind: 'assigned' | 'revoked'; readonly partitions: readonly TopicPartitionRef[] };

/**
 * Consume → transform → produce with Kafka transactions (KIP-98, KIP-447): a consumer group
 * member and a transactional producer sharing it. `commitBatch` writes the output records and
 * the consumed positions in one transaction, so either both become visible to read_committed
 * readers or neither does.
 */
export interface TransactionalPipe {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /** Up to `max` records, waiting at most `timeoutMs` when none are ready. */
  poll(max: number, timeoutMs: number): Promise<IncomingRecord[]>;
  /**
   * Produces `records` and commits `positions` atomically. When the transaction fails it is
   * aborted (and the producer re-initialised after a fatal or timed-out error), the consumer is
   * rewound to `rewindTo` (the first offset of the batch per partition) so nothing is skipped,
   * and a retriable ZEN_KAFKA_TRANSACTION_FAILED is thrown: poll again and redo the batch.
   */
  commitBatch(records: readonly OutgoingRecord[], positions: readonly CommitPosition[], rewindTo: readonly CommitPosition[]): Promise<void>;
  /**
   * Moves the read position of each still-assigned partition back to `positions` (records
   * polled but not committed are read again). Partitions revoked meanwhile are left alone:
   * their new owner starts from the committed offset.
   */
  rewind(positions: readonly CommitPosition[]): Promise<void>;
  /** Partitions currently assigned to this member. */
  assignment(): TopicPartitionRef[];
  /** Lag of every assigned partition. */
  lag(timeoutMs?: number): Promise<PartitionLag[]>;
  onRebalance(listener: (event: RebalanceEvent) => void): void;
  /** Leaves the group (revoking partitions) and closes both clients. */
  disconnect(): Promise<void>;
}
