import { backoffDelayMs, isZenthosError, sleep, type Logger } from '@zenthos/core';
import type { CommitPosition, IncomingRecord, TransactionalPipe } from '@zenthos/kafka';
import type { BatchResult } from '../domain/batch';
import type { StreamMetrics } from '../metrics';

/** The smallest offset per partition. */
const earliest = (positions: readonly CommitPosition[]): CommitPosition[] => {
  const byPartition = new Map<string, CommitPosition>();
  for (const p of positions) {
    const key = `${p.topic}\u0000${p.partition}`;
    const seen = byPartition.get(key);
    if (!seen || BigInt(p.offset) < BigInt(seen.offset)) byPartition.set(key, p);
  }
  return [...byPartition.values()];
};

/** Where each partition of `records` starts. */
const rewindPositions = (records: readonly IncomingRecord[]): CommitPosition[] =>
  earliest(records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset })));

/** Settings of {@link createProcessorRunner}. */
export interface ProcessorRunnerSettings {
  readonly pipeline: string;
  /** Consumer group id, for the lag metric. */
  readonly groupId: string;
  readonly sourceTopics: readonly string[];
  readonly batchMax: number;
  readonly pollTimeoutMs: number;
  /**
   * Shortest time from the start of one transaction to the start of the next (default 0). A
   * batch smaller than `batchMax` keeps polling until then, so a steady stream makes fewer,
   * larger transactions: each one costs the broker a fixed set of requests and marker writes
   * whatever its size. The records' extra wait is bounded by this interval.
   */
  readonly transactionIntervalMs?: number;
  /** How often consumer lag is measured. */
  readonly lagIntervalMs?: number;
  /** How often a progress line is logged. */
  readonly progressIntervalMs?: number;
}

/** A running processor loop. */
export interface ProcessorRunner {
  /** Runs until {@link stop}; rejects only on an unrecoverable error. */
  run(): Promise<void>;
  /** Finishes the batch in hand, commits it, leaves the group. */
  stop(): Promise<void>;
  /** True once connected and subscribed. */
  isReady(): boolean;
}

/**
 * The consume → process → produce loop over a transactional pipe. A batch is processed while
 * the previous one commits; no more than two are in hand (bounded memory; librdkafka's
 * prefetch queue is bounded too, so a slow processor slows fetching — backpressure). A retriable failure while processing retries the same batch with
 * backoff, never skipping it; a failed transaction is aborted and rewound by the pipe and the
 * records are read again. Poison records are already dead letters inside the batch result.
 */
export function createProcessorRunner(
  settings: ProcessorRunnerSettings,
  ports: {
    pipe: TransactionalPipe;
    handleBatch: (records: readonly IncomingRecord[]) => Promise<BatchResult>;
    metrics: StreamMetrics;
    logger: Logger;
  },
): ProcessorRunner {
  const { pipe, metrics, logger } = ports;
  const queue = settings.sourceTopics.join(',');
  const abort = new AbortController();
  let ready = false;
  let running: Promise<void> | undefined;
  let totals = { in: 0, out: 0, dead: 0, dropped: 0 };

  pipe.onRebalance((e) => {
    logger.info({ pipeline: settings.pipeline, partitions: e.partitions.map((p) => `${p.topic}/${p.partition}`) }, `partitions ${e.kind}`);
  });

  const measureLag = async (): Promise<void> => {
    try {
      for (const l of await pipe.lag()) metrics.setLag(settings.groupId, l.topic, l.partition, l.lag);
    } catch (err) {
      logger.debug({ err }, 'lag measurement failed');
    }
  };

  const processWithRetry = async (records: readonly IncomingRecord[]): Promise<BatchResult | undefined> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ports.handleBatch(records);
      } catch (err) {
        if (!isZenthosError(err) || !err.retriable) throw err;
        if (abort.signal.aborted) return undefined; // shutting down: the batch stays uncommitted
        const delayMs = backoffDelayMs(attempt, { initialDelayMs: 200, maxDelayMs: 5_000 });
        logger.warn({ code: err.code, attempt, delayMs }, `retrying batch: ${err.message}`);
        await sleep(delayMs, abort.signal).catch(() => undefined);
      }
    }
  };

  const loop = async (): Promise<void> => {
    await pipe.connect();
    await pipe.subscribe(settings.sourceTopics);
    ready = true;
    logger.info({ pipeline: settings.pipeline, topics: settings.sourceTopics }, 'processor started');
    const lagTimer = setInterval(() => void measureLag(), settings.lagIntervalMs ?? 5_000);
    const progressTimer = setInterval(
      () => logger.info({ pipeline: settings.pipeline, ...totals }, 'progress'),
      settings.progressIntervalMs ?? 10_000,
    );
    let pollFailures = 0;
    // One batch's transaction commits while the next batch is processed (its I/O is mostly
    // waiting on the broker). At most two batches are in hand: bounded memory.
    let inFlight: { readonly commit: Promise<boolean>; readonly rewindTo: readonly CommitPosition[] } | undefined;
    const settle = async (): Promise<{ ok: boolean; rewindTo: readonly CommitPosition[] }> => {
      if (!inFlight) return { ok: true, rewindTo: [] };
      const { commit, rewindTo } = inFlight;
      inFlight = undefined;
      return { ok: await commit, rewindTo };
    };
    // Only the batch's counts wait for the commit: the records and outputs are garbage once
    // produced, instead of living on (and being copied by the young-generation collector) while the
    // next batch is processed.
    const commit = (records: readonly IncomingRecord[], result: BatchResult, started: number, processedAt: number): Promise<boolean> => {
      const count = records.length;
      const { steps, deadLetterReasons, deadLettered, forwarded, dropped } = result;
      return pipe.commitBatch(result.outputs, result.positions, result.rewindTo).then(
        () => {
          // Counted only once committed: an aborted batch is processed again and counted then.
          metrics.recordBatchTime(queue, 'committed', performance.now() - started);
          logger.debug(
            {
              records: count,
              processedMs: Math.round(processedAt - started),
              commitMs: Math.round(performance.now() - processedAt),
            },
            'batch committed',
          );
          for (const [processor, c] of Object.entries(steps)) {
            metrics.recordOutcome(processor, 'forward', c.forward);
            metrics.recordOutcome(processor, 'drop', c.drop);
            metrics.recordOutcome(processor, 'dead_letter', c.dead_letter);
          }
          for (const [reason, n] of Object.entries(deadLetterReasons)) metrics.deadLetter(reason, queue, n);
          const dead = Object.values(deadLettered).reduce((a, b) => a + b, 0);
          totals = {
            in: totals.in + count,
            out: totals.out + forwarded,
            dead: totals.dead + dead,
            dropped: totals.dropped + dropped,
          };
          return true;
        },
        (err: unknown) => {
          metrics.recordBatchTime(queue, 'aborted', performance.now() - started);
          logger.warn({ err: (err as Error).message }, 'transaction failed; the batch will be read again');
          return false;
        },
      );
    };
    const intervalMs = settings.transactionIntervalMs ?? 0;
    let lastCommitStarted = Number.NEGATIVE_INFINITY;
    try {
      while (!abort.signal.aborted) {
        let records: IncomingRecord[];
        try {
          records = await pipe.poll(settings.batchMax, settings.pollTimeoutMs);
          pollFailures = 0;
        } catch (err) {
          pollFailures++;
          logger.warn({ err }, 'poll failed');
          await sleep(backoffDelayMs(pollFailures, { initialDelayMs: 200, maxDelayMs: 5_000 }), abort.signal).catch(() => undefined);
          continue;
        }
        // Top the batch up until the transaction interval is over (bounded by batchMax). A
        // failed top-up ends it: the records in hand must be processed, never dropped, as the
        // read position is already past them.
        for (;;) {
          const leftMs = lastCommitStarted + intervalMs - performance.now();
          if (records.length === 0 || records.length >= settings.batchMax || leftMs < 1 || abort.signal.aborted) break;
          const more = await pipe.poll(settings.batchMax - records.length, Math.ceil(leftMs)).catch((err: unknown) => {
            logger.warn({ err }, 'poll failed');
            return undefined;
          });
          if (more === undefined) break;
          if (more.length > 0) records = records.concat(more);
        }
        if (records.length === 0) {
          const previous = await settle();
          if (!previous.ok) await pipe.rewind(previous.rewindTo);
          continue;
        }
        const started = performance.now();
        const result = await processWithRetry(records);
        const previous = await settle();
        if (!previous.ok) {
          // The previous batch was aborted and rewound, but this batch may have been read
          // after that (its records would be skipped) or before it (partitions assigned since):
          // drop it and go back to the earliest uncommitted record of both.
          await pipe.rewind(earliest([...previous.rewindTo, ...(result?.rewindTo ?? rewindPositions(records))]));
          continue;
        }
        if (!result) break;
        lastCommitStarted = performance.now();
        inFlight = { commit: commit(records, result, started, lastCommitStarted), rewindTo: result.rewindTo };
      }
      await settle();
    } finally {
      clearInterval(lagTimer);
      clearInterval(progressTimer);
      ready = false;
      await pipe.disconnect();
      logger.info({ pipeline: settings.pipeline, ...totals }, 'processor stopped');
    }
  };

  return {
    run() {
      running ??= loop();
      return running;
    },
    async stop() {
      abort.abort();
      await running?.catch(() => undefined);
    },
    isReady: () => ready,
  };
}
