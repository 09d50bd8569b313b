import { backoffDelayMs, isZenthosError, sleep, type Logger } from '@zenthos/core';
import { collectBatch, nextPosition, type CommitPosition, type ConsumerPort, type IncomingRecord } from '@zenthos/kafka';
import type { Serde, StatusEnriched } from '@zenthos/schemas';
import { otaReportOf, type StatusOtaReport } from '../domain/status-report';

/** A running consumer of device status records. */
export interface StatusConsumer {
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** Reports applied and records skipped so far. */
  stats(): { applied: number; skipped: number };
}

/** Options of {@link startStatusConsumer}. */
export interface StatusConsumerOptions {
  readonly consumer: ConsumerPort;
  readonly serde: Pick<Serde, 'decode'>;
  readonly topic: string;
  /** Applies one report; a ZenthosError that is not retriable means "skip this record". */
  readonly handle: (report: StatusOtaReport) => Promise<void>;
  readonly logger: Logger;
  readonly maxBackoffMs?: number;
}

const positionsOf = (records: readonly IncomingRecord[]): CommitPosition[] => {
  const last = new Map<string, IncomingRecord>();
  for (const r of records) {
    const k = `${r.topic}\u0000${r.partition}`;
    const seen = last.get(k);
    if (!seen || BigInt(r.offset) > BigInt(seen.offset)) last.set(k, r);
  }
  return [...last.values()].map(nextPosition);
};

/**
 * Feeds OTA reports that devices publish on their MQTT status topic (through the bridge and
 * the stream processors: `zenthos.status.enriched`) into the rollouts, as `POST
 * /device/{id}/ota-report` does. Offsets are committed after a batch is applied; a failure that
 * may pass (Postgres restarting) is retried with backoff and never skipped, so no report is lost
 * (applying one twice is harmless: the per-device state is an upsert).
 */
export async function startStatusConsumer(opts: StatusConsumerOptions): Promise<StatusConsumer> {
  const { consumer, logger } = opts;
  let stopping = false;
  let applied = 0;
  let skipped = 0;
  await consumer.connect();
  await consumer.subscribe([opts.topic]);

  const apply = async (r: IncomingRecord): Promise<void> => {
    if (!r.value) return void skipped++;
    let report: StatusOtaReport | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        report = otaReportOf((await opts.serde.decode<StatusEnriched>(r.value)).value);
        break;
      } catch (err) {
        // A registry that does not answer (ZEN_SCHEMA_REGISTRY_FAILED, retriable) is waited
        // out: skipping would commit past reports that were never read.
        if (isZenthosError(err) && err.retriable && !stopping) {
          logger.warn({ err, attempt }, 'status record could not be decoded yet; retrying');
          await sleep(backoffDelayMs(attempt + 1, { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs ?? 10_000 }));
          continue;
        }
        if (stopping) throw err;
        skipped++;
        logger.warn({ err, partition: r.partition, offset: r.offset }, 'status record could not be decoded; skipped');
        return;
      }
    }
    if (!report) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await opts.handle(report);
        applied++;
        return;
      } catch (err) {
        if (isZenthosError(err) && !err.retriable) {
          skipped++;
          logger.warn({ err, deviceId: report.deviceId }, 'OTA report refused; skipped');
          return;
        }
        if (stopping) throw err;
        logger.warn({ err, attempt }, 'OTA report could not be applied; retrying');
        await sleep(backoffDelayMs(attempt + 1, { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs ?? 10_000 }));
      }
    }
  };

  const done = (async () => {
    while (!stopping) {
      // A failed poll (a topic not yet known to a fresh broker, a broker restarting) is logged
      // and polled again: it must not end the consumer for good.
      const records = await collectBatch(consumer, {
        maxRecords: 200,
        lingerMs: 0,
        stopped: () => stopping,
        onPollError: (err) => logger.warn({ err }, 'status poll failed; polling again'),
      });
      if (records.length === 0) continue;
      try {
        for (const r of records) await apply(r);
      } catch {
        break; // stopping while a report was being retried: leave it uncommitted
      }
      await consumer.commit(positionsOf(records));
    }
  })().finally(() => consumer.disconnect().catch(() => undefined));

  return {
    done,
    stats: () => ({ applied, skipped }),
    async stop() {
      stopping = true;
      await done.catch(() => undefined);
    },
  };
}
