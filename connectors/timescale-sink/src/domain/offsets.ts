import { nextPosition, type CommitPosition, type IncomingRecord } from '@zenthos/kafka';

/**
 * The positions to commit once every record of a batch is durable: per topic-partition, the
 * offset after the highest record. Committing only these (never per record) keeps commits cheap.
 */
export function commitPositions(records: readonly Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>[]): CommitPosition[] {
  const highest = new Map<string, Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>>();
  for (const r of records) {
    const key = `${r.topic}\u0000${r.partition}`;
    const seen = highest.get(key);
    if (!seen || BigInt(r.offset) > BigInt(seen.offset)) highest.set(key, r);
  }
  return [...highest.values()].map(nextPosition);
}
