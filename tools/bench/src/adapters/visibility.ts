import { createRdkafkaConsumer } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';

/** What the observer saw of one enriched record. */
export interface EnrichedSighting {
  readonly messageId: string;
  /** `ingest_ts`: the bridge's receive time. */
  readonly bridgeMs: number;
  /** `enriched_ts`: the processor's enrich time. */
  readonly processedMs: number;
  /** When the observer received the record (its transaction had committed). */
  readonly visibleMs: number;
}

/** A read_committed reader of the enriched topic that notes when each record became readable. */
export interface VisibilityObserver {
  /** Stops reading and decodes what was seen (the schema registry must still be up). */
  stop(): Promise<Map<string, EnrichedSighting>>;
  /** Stops reading without decoding (the run failed). */
  abandon(): Promise<void>;
}

/** Longest wait of the observer's fetches: bounds how late it can notice a committed record. */
export const OBSERVER_FETCH_WAIT_MS = 10;

/**
 * Starts reading `topic` from its beginning as a consumer group of its own (`group`), with
 * isolation read_committed like the sink, so a record arrives once the processor's transaction
 * that produced it has committed. Records are kept as bytes with their arrival time and decoded
 * only after the run, so the observer costs the measured window little CPU.
 */
export async function startVisibilityObserver(opts: {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly group: string;
  readonly registryUrl: string;
}): Promise<VisibilityObserver> {
  const consumer = createRdkafkaConsumer(
    { brokers: opts.brokers, clientId: 'zenthos-bench-observer', groupId: opts.group, fromBeginning: true },
    // Short broker-side waits, and a poll that returns as soon as the partitions are drained
    // (partition EOF), so the arrival time is not held back by batching on the observer's side.
    { 'fetch.wait.max.ms': OBSERVER_FETCH_WAIT_MS, 'enable.partition.eof': true },
  );
  await consumer.connect();
  await consumer.subscribe([opts.topic]);
  const seen: Array<{ value: Buffer; visibleMs: number }> = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const records = await consumer.poll(1000, 50).catch(() => []);
      const now = Date.now();
      for (const r of records) if (r.value) seen.push({ value: r.value, visibleMs: now });
    }
  })();
  const close = async (): Promise<void> => {
    stopped = true;
    await loop;
    await consumer.disconnect();
  };
  return {
    abandon: close,
    async stop() {
      await close();
      const serde = createSerde({ registryUrl: opts.registryUrl });
      const out = new Map<string, EnrichedSighting>();
      for (const s of seen) {
        const { value } = await serde.decode<{ message_id: string; ingest_ts: number; enriched_ts: number }>(s.value).catch(() => ({
          value: undefined,
        }));
        if (!value || out.has(value.message_id)) continue;
        out.set(value.message_id, {
          messageId: value.message_id,
          bridgeMs: Number(value.ingest_ts),
          processedMs: Number(value.enriched_ts),
          visibleMs: s.visibleMs,
        });
      }
      return out;
    },
  };
}
