import type { IncomingRecord, OutgoingRecord } from '@zenthos/kafka';
import type { ZenthosError } from '@zenthos/core';

/** Headers a dead letter carries (DESIGN.md: reason code, source topic/partition/offset, error). */
export const dlqHeaders = {
  reason: 'zenthos.dlq.reason',
  error: 'zenthos.dlq.error',
  processor: 'zenthos.dlq.processor',
  pipeline: 'zenthos.dlq.pipeline',
  sourceTopic: 'zenthos.dlq.source.topic',
  sourcePartition: 'zenthos.dlq.source.partition',
  sourceOffset: 'zenthos.dlq.source.offset',
  timeMs: 'zenthos.dlq.time',
} as const;

/** Header a replayed record carries: the dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'zenthos.replayed-from';

/** Longest error text kept in a header. */
const MAX_ERROR_CHARS = 1_000;

/** The dead letter for `source`: original key and bytes, original headers plus the dlq ones. */
export function toDeadLetter(
  source: IncomingRecord,
  dlqTopic: string,
  failure: { error: ZenthosError; processor: string; pipeline: string; nowMs: number },
): OutgoingRecord {
  return {
    topic: dlqTopic,
    key: source.key,
    value: source.value,
    headers: {
      ...source.headers,
      [dlqHeaders.reason]: failure.error.code,
      [dlqHeaders.error]: failure.error.message.slice(0, MAX_ERROR_CHARS),
      [dlqHeaders.processor]: failure.processor,
      [dlqHeaders.pipeline]: failure.pipeline,
      [dlqHeaders.sourceTopic]: source.topic,
      [dlqHeaders.sourcePartition]: String(source.partition),
      [dlqHeaders.sourceOffset]: source.offset,
      [dlqHeaders.timeMs]: String(failure.nowMs),
    },
  };
}

/** A dead letter as read back from the dead-letter topic. */
export interface DeadLetter {
  readonly dlqPartition: number;
  readonly dlqOffset: string;
  readonly reason: string;
  readonly error: string;
  readonly processor: string;
  readonly pipeline: string;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly timeMs: number;
  readonly key: string | null;
  readonly record: IncomingRecord;
}

/** Parses a record of the dead-letter topic; undefined when it lacks the dlq headers. */
export function parseDeadLetter(r: IncomingRecord): DeadLetter | undefined {
  const h = (name: string): string | undefined => r.headers[name]?.toString();
  const reason = h(dlqHeaders.reason);
  const topic = h(dlqHeaders.sourceTopic);
  if (reason === undefined || topic === undefined) return undefined;
  return {
    dlqPartition: r.partition,
    dlqOffset: r.offset,
    reason,
    error: h(dlqHeaders.error) ?? '',
    processor: h(dlqHeaders.processor) ?? '',
    pipeline: h(dlqHeaders.pipeline) ?? '',
    source: { topic, partition: Number(h(dlqHeaders.sourcePartition) ?? -1), offset: h(dlqHeaders.sourceOffset) ?? '' },
    timeMs: Number(h(dlqHeaders.timeMs) ?? r.timestampMs),
    key: r.key?.toString() ?? null,
    record: r,
  };
}

/** Which dead letters `dlq list|replay` works on. */
export interface DeadLetterFilter {
  readonly reason?: string;
  readonly processor?: string;
  readonly sourceTopic?: string;
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

/** True when `d` passes every condition of `f`. */
export const matchesFilter = (d: DeadLetter, f: DeadLetterFilter): boolean =>
  (f.reason === undefined || d.reason === f.reason) &&
  (f.processor === undefined || d.processor === f.processor) &&
  (f.sourceTopic === undefined || d.source.topic === f.sourceTopic) &&
  (f.sinceMs === undefined || d.timeMs >= f.sinceMs) &&
  (f.untilMs === undefined || d.timeMs <= f.untilMs);

/**
 * The record that replays a dead letter: back to its source topic with its original key,
 * bytes and headers (trace context included), without the dlq headers, marked with where it
 * came from. The processors then treat it like any new record; its message_id still dedupes.
 */
export function toReplay(d: DeadLetter): OutgoingRecord {
  const headers: Record<string, Buffer | string> = {};
  const dlqNames = new Set<string>(Object.values(dlqHeaders));
  for (const [k, v] of Object.entries(d.record.headers)) if (!dlqNames.has(k)) headers[k] = v;
  headers[REPLAYED_FROM_HEADER] = `${d.record.topic}/${d.dlqPartition}/${d.dlqOffset}`;
  return { topic: d.source.topic, key: d.record.key, value: d.record.value, headers };
}

/** A time filter value: an ISO date, or a duration back from now (`30m`, `2h`, `7d`). */
export function parseTime(text: string, nowMs: number): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  if (m) return nowMs - Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}
