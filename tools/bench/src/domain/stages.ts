import { summarizeLatencies, type LatencySummary } from './stats';

/** When one message passed each point of the pipeline (epoch ms, same host clock); absent when not seen there. */
export interface MessageTimes {
  /** The load generator handed the PUBLISH to mqtt.js. */
  readonly publishMs: number;
  /** `ingest_ts` of the record: the bridge received the PUBLISH (it produces to the raw topic right after). */
  readonly bridgeMs?: number;
  /** `enriched_ts` of the record: the processor's enrich step ran (before the batch's produce and commit). */
  readonly processedMs?: number;
  /** A read_committed reader of the enriched topic received the record: its transaction had committed. */
  readonly visibleMs?: number;
  /** The AFTER INSERT trigger on telemetry_raw stamped the row. */
  readonly rowMs?: number;
}

/** Latency of each leg of publish → row; each leg counts the messages seen at both of its ends. */
export interface StageBreakdown {
  /** PUBLISH → bridge receive: MQTT client, TCP, Aedes. */
  readonly publishToBridge: LatencySummary | null;
  /** Bridge receive → enrich step: raw produce and ack, the processor's fetch, poll batching, decode, validate. */
  readonly bridgeToProcessed: LatencySummary | null;
  /** Enrich step → visible to read_committed readers: rest of the batch, produce, transaction commit. */
  readonly processedToVisible: LatencySummary | null;
  /** Visible in the enriched topic → row inserted: the sink's fetch, linger, decode and INSERT. */
  readonly visibleToRow: LatencySummary | null;
}

const leg = (
  times: Iterable<MessageTimes>,
  from: (t: MessageTimes) => number | undefined,
  to: (t: MessageTimes) => number | undefined,
): LatencySummary | null => {
  const values: number[] = [];
  for (const t of times) {
    const a = from(t);
    const b = to(t);
    if (a !== undefined && b !== undefined) values.push(b - a);
  }
  return summarizeLatencies(values) ?? null;
};

/**
 * Splits publish → row into its four legs. Percentiles of legs do not add up to the percentile
 * of the whole (different messages are slow in different legs); the minimum of a leg is its
 * fixed delay.
 */
export function stageBreakdown(times: Iterable<MessageTimes>): StageBreakdown {
  const all = [...times];
  return {
    publishToBridge: leg(
      all,
      (t) => t.publishMs,
      (t) => t.bridgeMs,
    ),
    bridgeToProcessed: leg(
      all,
      (t) => t.bridgeMs,
      (t) => t.processedMs,
    ),
    processedToVisible: leg(
      all,
      (t) => t.processedMs,
      (t) => t.visibleMs,
    ),
    visibleToRow: leg(
      all,
      (t) => t.visibleMs,
      (t) => t.rowMs,
    ),
  };
}
