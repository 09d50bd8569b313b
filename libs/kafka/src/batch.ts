import type { ConsumerPort, IncomingRecord } from './port';

/** Options of {@link collectBatch}. */
export interface CollectBatchOptions {
  /** Records in one batch at most. */
  readonly maxRecords: number;
  /** How long a batch waits for more records once its first record arrived. */
  readonly lingerMs: number;
  /** Checked between polls: a stopping consumer returns what it has. */
  readonly stopped: () => boolean;
  /** A failed poll is reported here and polling goes on after a short pause (the broker may be restarting). */
  readonly onPollError: (err: unknown) => void;
  /** Longest single poll while waiting for the first record; default 250 ms, so `stopped` is seen soon. */
  readonly idlePollMs?: number;
  /**
   * Records asked for in one poll at most (default 250). node-rdkafka's consume(n) keeps
   * collecting until it has n records or one of them takes longer than the timeout to come, so
   * under a steady stream a single large poll runs until the whole batch is full and the linger
   * time is never looked at; small polls let the deadline end the batch.
   */
  readonly maxPollRecords?: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `maxRecords` records are in hand or `lingerMs` has passed since the first one
 * (the size/linger trade-off of Kafka producers, applied to a sink's writes). Returns an empty
 * batch only when stopping.
 */
export async function collectBatch(consumer: ConsumerPort, opts: CollectBatchOptions): Promise<IncomingRecord[]> {
  const idlePollMs = opts.idlePollMs ?? 250;
  const maxPollRecords = opts.maxPollRecords ?? 250;
  const batch: IncomingRecord[] = [];
  let deadline = Number.POSITIVE_INFINITY;
  while (!opts.stopped() && batch.length < opts.maxRecords) {
    const now = Date.now();
    if (batch.length > 0 && now >= deadline) break;
    const waitMs = batch.length === 0 ? idlePollMs : Math.max(1, Math.min(idlePollMs, deadline - now));
    let polled: IncomingRecord[];
    try {
      polled = await consumer.poll(Math.min(maxPollRecords, opts.maxRecords - batch.length), waitMs);
    } catch (err) {
      opts.onPollError(err);
      await pause(200);
      continue;
    }
    if (polled.length > 0 && batch.length === 0) deadline = Date.now() + opts.lingerMs;
    batch.push(...polled);
  }
  return batch;
}
