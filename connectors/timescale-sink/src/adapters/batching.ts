import { collectBatch, type ConsumerPort, type IncomingRecord } from '@zenthos/kafka';

// Records asked for in one poll at most, for the same reason: a poll returns only when it has
// them or nothing more comes within its timeout, so small polls let the linger deadline and the
// writer's state be looked at between them under a steady stream.
const MAX_POLL_RECORDS = 250;

/** Options of {@link collectWhileArriving}. */
export interface CollectWhileArrivingOptions {
  /** Records in one batch at most. */
  readonly maxRecords: number;
  /** Longest time a batch keeps gathering records after its first one. */
  readonly lingerMs: number;
  /** Longest wait for the next record; a poll that finds nothing within it ends the batch. */
  readonly arrivalGapMs: number;
  /**
   * Time a batch keeps gathering after its first record even when nothing more arrives (at most
   * `lingerMs`; default 0). A few milliseconds let a trickle of records share one transaction.
   */
  readonly minLingerMs?: number;
  /**
   * True while the previous batch is still being written: the batch keeps gathering (up to
   * `maxRecords` or `lingerMs`) instead of ending at the first empty poll, because it could not
   * be written earlier anyway. Default: never busy.
   */
  readonly busy?: () => boolean;
  /** Checked between polls: a stopping consumer returns what it has. */
  readonly stopped: () => boolean;
  /** A failed poll is reported here; the batch in hand is returned. */
  readonly onPollError: (err: unknown) => void;
}

/**
 * The next batch of a sink: waits for a record, takes what is ready, then keeps polling only while
 * records keep arriving (each poll waits at most `arrivalGapMs`), up to `maxRecords` or `lingerMs`
 * after the first one. A record reaching a quiet sink is written at once (or after `minLingerMs`)
 * instead of waiting out a fixed linger; under load, the records arriving while the previous batch
 * is written (`busy`) make the next one larger. Needs a consumer whose poll returns once its
 * partitions are drained (librdkafka's enable.partition.eof), or a poll would wait for more while
 * records trickle in. Returns an empty batch only when stopping.
 */
export async function collectWhileArriving(consumer: ConsumerPort, opts: CollectWhileArrivingOptions): Promise<IncomingRecord[]> {
  // The first poll asks for one record: node-rdkafka's consume(n) keeps collecting until it has n
  // records or one of them takes longer than the timeout to come, so a poll for many records with
  // the idle timeout (250 ms) ran for as long as a steady trickle kept arriving (at 500 records/s,
  // until 250 were in hand: hundreds of ms). Everything already fetched comes with the polls below.
  const batch = await collectBatch(consumer, {
    maxRecords: Math.min(1, opts.maxRecords),
    lingerMs: 0,
    stopped: opts.stopped,
    onPollError: opts.onPollError,
  });
  const started = performance.now();
  const deadline = started + opts.lingerMs;
  const holdUntil = started + Math.min(opts.minLingerMs ?? 0, opts.lingerMs);
  const busy = opts.busy ?? (() => false);
  while (batch.length > 0 && batch.length < opts.maxRecords && !opts.stopped()) {
    const now = performance.now();
    const leftMs = Math.floor(deadline - now);
    if (leftMs < 1) break;
    // Held (minimum linger): one poll may wait for the rest of it. Writer busy: short polls, so
    // the batch is handed over soon after the writer is free.
    const waitMs = now < holdUntil ? Math.max(1, Math.ceil(holdUntil - now)) : opts.arrivalGapMs;
    let more: IncomingRecord[];
    try {
      more = await consumer.poll(Math.min(MAX_POLL_RECORDS, opts.maxRecords - batch.length), Math.min(waitMs, leftMs));
    } catch (err) {
      opts.onPollError(err);
      break; // write what is in hand; the next batch polls again
    }
    if (more.length === 0 && performance.now() >= holdUntil && !busy()) break;
    batch.push(...more);
  }
  return batch;
}
