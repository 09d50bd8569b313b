import { nextPosition, type CommitPosition, type IncomingRecord } from '@zenthos/kafka';

/**
 * True when decimal offset `a` is greater than `b`. Offsets are non-negative integers without
 * leading zeros, so the longer one is the greater, and equal lengths compare as text: no BigInt
 * per record.
 */
export const offsetAbove = (a: string, b: string): boolean => (a.length !== b.length ? a.length > b.length : a > b);

/**
 * The positions to commit once every record of a batch is durable: per topic-partition, the
 * offset after the highest record. Committing only these (never per record) keeps commits cheap.
 */
export function commitPositions(records: readonly Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>[]): CommitPosition[] {
  const highest = new Map<string, Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>>();
  // A poll returns runs of records of one partition: the key is made once per run, not per record.
  let topic: string | undefined;
  let partition = -1;
  let key = '';
  for (const r of records) {
    if (r.partition !== partition || r.topic !== topic) {
      topic = r.topic;
      partition = r.partition;
      key = `${topic}\u0000${partition}`;
    }
    const seen = highest.get(key);
    if (!seen || offsetAbove(r.offset, seen.offset)) highest.set(key, r);
  }
  return [...highest.values()].map(nextPosition);
}

/**
 * Positions committed later, by topic-partition: {@link PendingPositions.add} keeps the highest
 * position of each partition, {@link PendingPositions.take} hands them over and forgets them. Lets
 * a sink commit the positions of several written batches at once, never moving a partition back.
 */
export interface PendingPositions {
  add(positions: readonly CommitPosition[]): void;
  take(): CommitPosition[];
  readonly size: number;
}

/** An empty {@link PendingPositions}. */
export function createPendingPositions(): PendingPositions {
  const pending = new Map<string, CommitPosition>();
  return {
    add(positions) {
      for (const p of positions) {
        const key = `${p.topic}\u0000${p.partition}`;
        const seen = pending.get(key);
        if (!seen || offsetAbove(p.offset, seen.offset)) pending.set(key, p);
      }
    },
    take() {
      const all = [...pending.values()];
      pending.clear();
      return all;
    },
    get size() {
      return pending.size;
    },
  };
}
