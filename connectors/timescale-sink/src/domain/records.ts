import type { InferenceEnriched, LogEnriched, StatusEnriched, TelemetryEnriched } from '@zenthos/schemas';

/** The four kinds of enriched records (DESIGN.md: `zenthos.<kind>.enriched`). */
export const recordKinds = ['telemetry', 'status', 'inference', 'logs'] as const;
/** One of {@link recordKinds}. */
export type RecordKind = (typeof recordKinds)[number];

/** Enriched value type per kind. */
export interface EnrichedByKind {
  telemetry: TelemetryEnriched;
  status: StatusEnriched;
  inference: InferenceEnriched;
  logs: LogEnriched;
}

/** The enriched topic of a kind under a prefix (default prefix `zenthos`). */
export const enrichedTopic = (prefix: string, kind: RecordKind): string => `${prefix}.${kind}.enriched`;

/** The kind of an enriched topic under a prefix, or undefined for any other topic. */
export function kindOfTopic(prefix: string, topic: string): RecordKind | undefined {
  for (const kind of recordKinds) if (topic === enrichedTopic(prefix, kind)) return kind;
  return undefined;
}
