import { backoffDelayMs, isZenthosError, sleep, toZenthosError, type Logger, type ZenthosError } from '@zenthos/core';
import { type ConsumerPort, type IncomingRecord, type OutgoingRecord, type ProducerPort } from '@zenthos/kafka';
import type { Serde } from '@zenthos/schemas';
import { commitPositions, createPendingPositions } from '../domain/offsets';
import { enrichedTopic, recordKinds, type EnrichedByKind, type RecordKind } from '../domain/records';
import { buildTableBatches, type Row } from '../domain/rows';
import type { TelemetryRowDecoder } from './telemetry-rows';
import type { SinkInstruments } from './instruments';
import type { BatchWriter } from './postgres-writer';
import { batchTraceContext, type BatchTraceContext } from '@zenthos/telemetry';
import { inSpan } from './tracing';
import { collectWhileArriving } from './batching';

/** What the runner needs; everything is injected so tests can use real services or fakes. */
export interface SinkRunnerOptions {
  readonly consumer: ConsumerPort;
  readonly serde: Pick<Serde, 'decode'>;
  /**
   * Reads telemetry rows straight from the record bytes (see {@link createTelemetryRowDecoder});
   * records it leaves alone are decoded with `serde`. Default: every record through `serde`.
   */
  readonly telemetryRows?: TelemetryRowDecoder;
  readonly writer: BatchWriter;
  /** Receives records that can never be written (undecodable, wrong topic), value untouched. */
  readonly dlq: Pick<ProducerPort, 'send'>;
  readonly topicPrefix: string;
  readonly batchSize: number;
  /**
   * Longest time a batch keeps gathering records after its first one, while they keep arriving;
   * a poll that finds nothing ready ends the batch at once. Needs a consumer whose poll returns
   * when its partitions are drained (librdkafka's enable.partition.eof).
   */
  readonly lingerMs: number;
  /**
   * Time a batch keeps gathering after its first record even when nothing more is ready (default
   * 0): a trickle of records shares a transaction, at the cost of this much latency.
   */
  readonly minLingerMs?: number;
  readonly maxBackoffMs: number;
  /**
   * Least time between two offset commits (default 0: after every batch). The positions of the
   * batches written meanwhile are committed together, at the latest this long after the first
   * of them; always after their database commit. A crash re-delivers at most that much more.
   */
  readonly commitIntervalMs?: number;
  readonly instruments: SinkInstruments;
  readonly logger: Logger;
}

/** A running sink loop. */
export interface SinkRunner {
  /** Resolves when the loop ends (after {@link SinkRunner.stop}). */
  readonly done: Promise<void>;
  /** Finishes the batch in hand (its write and commit) and stops. */
  stop(): Promise<void>;
  /** False while the database (or registry) is unavailable and consumption is paused. */
  healthy(): boolean;
}

// How long a batch waits for the next record before it is written: a little more than the
// producers' linger (5 ms in @zenthos/kafka), so records of one burst share a transaction.
const ARRIVAL_GAP_MS = 6;

/**
 * The records' headers, one at a time: batchTraceContext stops after the first few traced
 * records, so no array of every record's headers is made per batch.
 */
function* headersOf(records: readonly IncomingRecord[]): Generator<IncomingRecord['headers']> {
  for (let i = 0; i < records.length; i++) yield (records[i] as IncomingRecord).headers;
}

type Decoded = { readonly record: IncomingRecord; readonly kind: RecordKind } & (
  { readonly value: EnrichedByKind[RecordKind] } | { readonly row: Row }
);

/**
 * The sink's consume → batch → write → commit loop. Offsets are committed only after the
 * database transaction that holds a batch's rows has committed (DESIGN.md: sinks commit only
 * after the database commit), so a crash at any point re-delivers at most the batch in hand,
 * and ON CONFLICT DO NOTHING turns the re-delivery into a no-op.
 *
 * While Postgres is unavailable the batch is kept and retried with capped exponential backoff;
 * nothing more is polled (consumption is paused), the process stays up (no crash loop), and
 * /ready reports the outage. If the outage outlasts the group's max.poll.interval.ms the
 * partitions may move to another member; the commit then fails harmlessly and the records come
 * again, which the unique keys absorb.
 */
export function createSinkRunner(opts: SinkRunnerOptions): SinkRunner {
  const { consumer, logger, telemetryRows } = opts;
  // The kind of each enriched topic, looked up per record (kindOfTopic builds the topic names).
  const kindByTopic = new Map<string, RecordKind>(recordKinds.map((k) => [enrichedTopic(opts.topicPrefix, k), k]));
  const {
    rowsWritten,
    duplicates,
    batchSize,
    writeLatencyMs: latency,
    dbRetries: retries,
    deadLettered,
    commitFailures,
  } = opts.instruments;

  let stopping = false;
  let healthy = true;
  const abort = new AbortController();

  /** Runs `fn` until it succeeds or the runner stops; retriable errors wait, others are thrown. */
  async function untilDone<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn();
        if (!healthy) logger.info({ what, attempts: attempt }, 'sink resumed');
        healthy = true;
        return result;
      } catch (err) {
        const e = toZenthosError(err);
        if (!e.retriable) throw e;
        healthy = false;
        retries.add(1);
        const delayMs = backoffDelayMs(Math.min(attempt, 20), { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs });
        logger.warn({ what, attempt, delayMs, code: e.code, err: e.message }, 'sink paused: dependency unavailable, retrying');
        if (stopping) return undefined;
        await sleep(delayMs, abort.signal).catch(() => undefined);
        if (stopping) return undefined;
      }
    }
  }

  const deadLetter = async (record: IncomingRecord, error: ZenthosError): Promise<void> => {
    const out: OutgoingRecord = {
      topic: `${opts.topicPrefix}.dlq`,
      key: record.key,
      value: record.value,
      headers: {
        'dlq.reason': error.code,
        'dlq.error_code': error.code,
        'dlq.error': error.message.slice(0, 1000),
        'dlq.source': 'kafka',
        'dlq.source_topic': record.topic,
        'dlq.source_partition': String(record.partition),
        'dlq.source_offset': record.offset,
      },
    };
    await opts.dlq.send([out]);
    deadLettered.add(1, { reason: error.code, source_topic: record.topic });
    logger.warn({ topic: record.topic, partition: record.partition, offset: record.offset, code: error.code }, 'record dead-lettered');
  };

  async function decodeAll(records: readonly IncomingRecord[]): Promise<{ ok: Decoded[]; dead: [IncomingRecord, ZenthosError][] }> {
    const ok: Decoded[] = [];
    const dead: [IncomingRecord, ZenthosError][] = [];
    for (const r of records) {
      const kind = kindByTopic.get(r.topic);
      if (!kind || !r.value) {
        dead.push([
          r,
          toZenthosError(new Error(kind ? 'record without a value' : `not an enriched topic: ${r.topic}`), 'ZEN_DECODE_FAILED'),
        ]);
        continue;
      }
      if (kind === 'telemetry' && telemetryRows) {
        let row = telemetryRows.read(r.value);
        if (row === null) {
          await telemetryRows.load(r.value);
          row = telemetryRows.read(r.value);
        }
        if (row) {
          ok.push({ record: r, kind, row });
          continue;
        }
      }
      try {
        const { value } = await opts.serde.decode<EnrichedByKind[RecordKind]>(r.value);
        ok.push({ record: r, kind, value });
      } catch (err) {
        const e = toZenthosError(err, 'ZEN_DECODE_FAILED');
        if (e.retriable) throw e; // registry down: the whole batch waits
        dead.push([r, e]);
      }
    }
    return { ok, dead };
  }

  /** Writes decoded records in one transaction, retrying while Postgres is unavailable. */
  async function writeRecords(items: readonly Decoded[], traceCtx: BatchTraceContext): Promise<boolean> {
    const tables = buildTableBatches(items);
    const rowCount = tables.reduce((n, t) => n + t.rows.length, 0);
    const written = await untilDone('db.write', () =>
      inSpan(
        'db.write',
        traceCtx,
        { 'db.system': 'postgresql', 'zenthos.batch.records': items.length, 'zenthos.batch.rows': rowCount },
        async () => {
          const started = performance.now();
          const result = await opts.writer.write(tables);
          latency.record(performance.now() - started);
          return result;
        },
      ),
    );
    if (!written) return false;
    for (const t of tables) {
      const n = written[t.spec.table] ?? 0;
      rowsWritten.add(n, { table: t.spec.table });
      duplicates.add(t.duplicates + t.rows.length - n, { table: t.spec.table });
      batchSize.record(t.rows.length, { table: t.spec.table });
    }
    return true;
  }

  async function handleBatch(records: IncomingRecord[]): Promise<void> {
    const decoded = await untilDone('decode', () => decodeAll(records));
    if (!decoded) return;
    const dead = [...decoded.dead];
    const traceCtx = batchTraceContext(headersOf(records));
    try {
      if (!(await writeRecords(decoded.ok, traceCtx))) return; // stopping while Postgres is down
    } catch (err) {
      // A value Postgres refuses (not an outage): find the culprits one record at a time, so
      // one bad record never blocks its partition; they go to the DLQ with the database's error.
      logger.warn({ err: (err as Error).message }, 'batch refused; writing its records one by one');
      for (const item of decoded.ok) {
        try {
          if (!(await writeRecords([item], batchTraceContext([item.record.headers])))) return;
        } catch (one) {
          dead.push([item.record, toZenthosError(one, 'ZEN_DB_WRITE_FAILED')]);
        }
      }
    }
    for (const [r, e] of dead) {
      const sent = await untilDone('dlq', () => deadLetter(r, e).then(() => true));
      if (sent === undefined && stopping) return;
    }
    pending.add(commitPositions(records));
    const dueInMs = lastCommitAt + commitIntervalMs - performance.now();
    if (dueInMs <= 0) await commitPending();
    else commitTimer ??= setTimeout(() => void commitPending(), dueInMs);
  }

  // Positions of batches whose rows are committed in Postgres, not yet committed to Kafka.
  const pending = createPendingPositions();
  const commitIntervalMs = opts.commitIntervalMs ?? 0;
  let lastCommitAt = Number.NEGATIVE_INFINITY;
  let commitTimer: NodeJS.Timeout | undefined;

  /**
   * Commits every pending position at once. A commit is a round trip to the group coordinator
   * (awaited, no longer blocking the event loop: @zenthos/kafka README, "Committing offsets") and
   * costs a few hundred µs of CPU, which is what a quiet sink writing each record as it comes
   * would otherwise pay per record.
   */
  async function commitPending(): Promise<void> {
    clearTimeout(commitTimer);
    commitTimer = undefined;
    if (pending.size === 0) return;
    lastCommitAt = performance.now();
    try {
      await consumer.commit(pending.take());
    } catch (err) {
      commitFailures.add(1);
      logger.warn({ err: (err as Error).message }, 'offset commit failed; the batches will be re-delivered and deduplicated');
    }
  }

  const onPollError = (err: unknown): void => {
    const e = toZenthosError(err, 'ZEN_KAFKA_CONSUME_FAILED');
    logger.warn({ code: e.code, err: e.message }, 'poll failed');
  };

  // True while a batch is being written (and committed): the next batch is gathered meanwhile.
  let writing = false;
  const collect = (): Promise<IncomingRecord[]> =>
    collectWhileArriving(consumer, {
      maxRecords: opts.batchSize,
      lingerMs: opts.lingerMs,
      minLingerMs: opts.minLingerMs ?? 0,
      arrivalGapMs: ARRIVAL_GAP_MS,
      busy: () => writing,
      stopped: () => stopping,
      onPollError,
    });

  /**
   * Pipelined: while one batch is written, the next is collected, so the records that arrive
   * meanwhile wait in hand rather than behind a fetch, and a batch goes to Postgres as soon as
   * the previous one has committed. Batches are still written and their offsets committed one at
   * a time, in order; a batch collected but not yet written is never committed (a stop or a crash
   * re-delivers it). While Postgres is away at most that one batch is polled ahead.
   */
  async function loop(): Promise<void> {
    let next = collect();
    while (!stopping) {
      const batch = await next;
      if (batch.length === 0) {
        next = collect();
        continue;
      }
      writing = true;
      next = collect();
      try {
        // An unexpected error must not end the loop silently: the batch is tried again (every
        // step is idempotent) and /ready reports the problem meanwhile.
        for (let attempt = 1; !stopping; attempt++) {
          try {
            await handleBatch(batch);
            break;
          } catch (err) {
            healthy = false;
            const delayMs = backoffDelayMs(Math.min(attempt, 20), { initialDelayMs: 500, maxDelayMs: opts.maxBackoffMs });
            logger.error({ attempt, delayMs, err: (err as Error).message }, 'batch failed; trying it again');
            await sleep(delayMs, abort.signal).catch(() => undefined);
          }
        }
      } finally {
        writing = false;
      }
    }
    await next; // returns at once when stopping; its records are not committed
    await commitPending();
  }

  const done = loop().catch((err: unknown) => {
    logger.error({ err: isZenthosError(err) ? err.message : String(err) }, 'sink loop failed');
    throw err;
  });
  return {
    done,
    healthy: () => healthy,
    async stop() {
      stopping = true;
      abort.abort();
      await done.catch(() => undefined);
    },
  };
}
