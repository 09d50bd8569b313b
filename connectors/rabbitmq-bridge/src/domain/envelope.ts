import { ZenthosError } from '@zenthos/core';

/** Record kinds bridged from Kafka, and the spec §7 `type` of their envelopes. */
export const bridgedKinds = ['telemetry', 'status', 'inference', 'logs'] as const;
/** One of {@link bridgedKinds}. */
export type BridgedKind = (typeof bridgedKinds)[number];

/** First word of the routing key per kind: telemetry is `sensor.<device_model>` (spec §7). */
const routingWord: Readonly<Record<BridgedKind, string>> = { telemetry: 'sensor', status: 'status', inference: 'inference', logs: 'logs' };

/** The spec §7 message envelope. `id` is the device's message_id, for idempotent consumers. */
export interface Envelope {
  readonly id: string;
  readonly type: string;
  readonly device_id: string;
  /** UTC epoch seconds (spec §15). */
  readonly timestamp: number;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** The fields every enriched record has. */
export interface EnrichedBase {
  readonly message_id: string;
  readonly device_id: string;
  readonly device_model: string;
  readonly timestamp: number;
}

/** The enriched topic of a kind under a Kafka topic prefix. */
export const enrichedTopicOf = (prefix: string, kind: BridgedKind): string => `${prefix}.${kind}.enriched`;

/** The kind of an enriched topic, or undefined. */
export const kindOfEnrichedTopic = (prefix: string, topic: string): BridgedKind | undefined =>
  bridgedKinds.find((k) => enrichedTopicOf(prefix, k) === topic);

/**
 * A topic-exchange word for a device model: dots separate words in AMQP topic routing, so they
 * (and the wildcards) are replaced, keeping `sensor.*` matching exactly one model word.
 */
export const routingSafe = (word: string): string => word.replace(/[.*#\s]/g, '_') || '_';

/** The routing key of a record: `sensor.<device_model>`, `status.<device_model>`, … */
export const routingKeyFor = (kind: BridgedKind, deviceModel: string): string => `${routingWord[kind]}.${routingSafe(deviceModel)}`;

/** The envelope of an enriched record: everything but the envelope's own fields goes in `payload`. */
export function toEnvelope(kind: BridgedKind, value: EnrichedBase & Record<string, unknown>): Envelope {
  const { message_id, device_id, timestamp, ...payload } = value;
  return { id: message_id, type: kind, device_id, timestamp, payload };
}

/** Parses and checks an envelope from AMQP bytes; ZEN_PAYLOAD_INVALID (not retriable) otherwise. */
export function parseEnvelope(bytes: Buffer): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ZenthosError('ZEN_PAYLOAD_INVALID', 'envelope is not JSON');
  }
  const e = value as Partial<Envelope> | null;
  if (
    !e ||
    typeof e !== 'object' ||
    typeof e.id !== 'string' ||
    typeof e.type !== 'string' ||
    typeof e.device_id !== 'string' ||
    typeof e.timestamp !== 'number' ||
    !Number.isFinite(e.timestamp) ||
    typeof e.payload !== 'object' ||
    e.payload === null
  ) {
    throw new ZenthosError('ZEN_PAYLOAD_INVALID', 'envelope lacks id, type, device_id, timestamp or payload');
  }
  return e as Envelope;
}
