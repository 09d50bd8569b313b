import type { InferenceRaw, LogRaw, Location, StatusRaw, TelemetryRaw } from '@zenthos/schemas';

/** The four kinds of device messages (DESIGN.md, MQTT topics). */
export const recordKinds = ['telemetry', 'status', 'inference', 'logs'] as const;

/** One of {@link recordKinds}. */
export type RecordKind = (typeof recordKinds)[number];

/** A raw record of any kind, as the MQTT bridge produces it. */
export type RawRecord = TelemetryRaw | StatusRaw | InferenceRaw | LogRaw;

/** Fields every enriched contract adds to its raw contract (schemas/avro/*-enriched.avsc). */
export interface Enrichment {
  owner: string | null;
  location: Location | null;
  metadata: Record<string, string>;
  known_device: boolean;
  enriched_ts: number;
}

/** A raw record with the device registry's data added. */
export type EnrichedRecord<R extends RawRecord = RawRecord> = R & Enrichment;

/** The fields shared by every raw contract. */
export type CommonFields = Pick<RawRecord, 'message_id' | 'device_id' | 'device_model' | 'timestamp' | 'firmware_version' | 'ingest_ts'>;
