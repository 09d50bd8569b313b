import type { InvalidReason } from '../errors';
import { contractOfKind, validatePayload, type PayloadRules, type RawRecord } from './payload';
import { messageKinds, parseDeviceTopic, type DeviceIdentity, type MessageKind } from './topics';

/** Kafka topic names the bridge writes, derived from one prefix (default `zenthos`). */
export interface TopicNames {
  /** `<prefix>.<kind>.raw` */
  raw(kind: MessageKind): string;
  /** `<prefix>.<kind>.raw-value`: the raw topic's value subject (TopicNameStrategy, DESIGN.md Kafka). */
  rawSubject(kind: MessageKind): string;
  /** `<prefix>.dlq` */
  readonly dlq: string;
}

/**
 * Topic names for a prefix: `zenthos` gives `zenthos.telemetry.raw`, …, `zenthos.dlq` (DESIGN.md,
 * Kafka). Built once per kind: a name built per message is a new string that the serde's
 * subject lookup hashes again every time.
 */
export const topicNames = (prefix: string): TopicNames => {
  const raw = new Map<MessageKind, string>(messageKinds.map((k) => [k, `${prefix}.${k}.raw`]));
  const subjects = new Map<MessageKind, string>(messageKinds.map((k) => [k, `${prefix}.${k}.raw-value`]));
  return {
    raw: (kind) => raw.get(kind) ?? `${prefix}.${kind}.raw`,
    rawSubject: (kind) => subjects.get(kind) ?? `${prefix}.${kind}.raw-value`,
    dlq: `${prefix}.dlq`,
  };
};

/**
 * Header names of the DLQ records the bridge produces. A valid message's raw record carries no
 * header of its own (DESIGN.md: only the trace context, traceparent/tracestate/baggage, on data
 * records): its message id is in the value and its device id is the key, and node-rdkafka
 * converts every header on produce and on each consumer's fetch (1.5–2 µs per header and record).
 */
export const headerNames = {
  /** DLQ: the message id, when the payload had a valid one. */
  messageId: 'message_id',
  /** DLQ: the authenticated device (also the key). */
  deviceId: 'device_id',
  /** DLQ: the reason code (one of invalidReasons). */
  reason: 'dlq.reason',
  /** DLQ: the error code (ZEN_PAYLOAD_INVALID). */
  errorCode: 'dlq.error_code',
  /** DLQ: human-readable error. */
  error: 'dlq.error',
  /** DLQ: where the bytes came from, `mqtt`. */
  source: 'dlq.source',
  /** DLQ: the MQTT topic the payload was published on. */
  sourceTopic: 'dlq.source_topic',
} as const;

/** One message received from a device. */
export interface DeviceMessage {
  readonly topic: string;
  readonly payload: Buffer;
  /** The authenticated device; in external-broker mode, the device named by the topic. */
  readonly identity: DeviceIdentity;
  readonly receivedAtMs: number;
  /** The kind the topic names, when the caller's ACL check already parsed it (parsed here otherwise). */
  readonly kind?: MessageKind | undefined;
}

/** What to do with a message: produce the record, or dead-letter the original bytes. */
export type IngestPlan =
  | {
      readonly kind: 'produce';
      readonly messageKind: MessageKind;
      readonly topic: string;
      readonly subject: string;
      readonly schema: object;
      readonly key: string;
      readonly record: RawRecord;
    }
  | {
      readonly kind: 'deadLetter';
      readonly messageKind: MessageKind | undefined;
      readonly topic: string;
      readonly key: string;
      readonly value: Buffer;
      readonly reason: InvalidReason;
      readonly headers: Readonly<Record<string, string>>;
    };

/** The dead-letter branch of {@link IngestPlan}. */
export type DeadLetterPlan = Extract<IngestPlan, { kind: 'deadLetter' }>;

/** Settings of {@link planIngest}. */
export interface IngestRules extends PayloadRules {
  readonly mqttRoot: string;
  readonly topics: TopicNames;
}

/** The DLQ record for bytes that failed a check (also used when Avro encoding refuses a value). */
export function deadLetterPlan(
  msg: DeviceMessage,
  messageKind: MessageKind | undefined,
  reason: InvalidReason,
  error: string,
  topics: TopicNames,
  messageId?: string,
): DeadLetterPlan {
  return {
    kind: 'deadLetter',
    messageKind,
    topic: topics.dlq,
    key: msg.identity.deviceId,
    value: msg.payload,
    reason,
    headers: {
      [headerNames.reason]: reason,
      [headerNames.errorCode]: 'ZEN_PAYLOAD_INVALID',
      [headerNames.error]: error.slice(0, 1000),
      [headerNames.source]: 'mqtt',
      [headerNames.sourceTopic]: msg.topic,
      [headerNames.deviceId]: msg.identity.deviceId,
      ...(messageId === undefined ? {} : { [headerNames.messageId]: messageId }),
    },
  };
}

/**
 * Decides where a device message goes (the pure part of handling a PUBLISH): a valid payload
 * becomes a `<prefix>.<kind>.raw` record keyed by device id, with no headers (the message id is
 * in the value; trace headers are the pipeline's to add); anything else becomes a DLQ record carrying the original bytes and the reason. The topic has
 * already passed the ACL, so it parses.
 */
export function planIngest(msg: DeviceMessage, rules: IngestRules): IngestPlan {
  const kind = msg.kind ?? parseDeviceTopic(msg.topic, rules.mqttRoot)?.kind;
  if (!kind) return deadLetterPlan(msg, undefined, 'schema_mismatch', `not a device topic: ${msg.topic}`, rules.topics);
  const result = validatePayload(kind, msg.payload, msg.identity, msg.receivedAtMs, rules);
  if (!result.ok) return deadLetterPlan(msg, kind, result.reason, result.message, rules.topics, result.messageId);
  return {
    kind: 'produce',
    messageKind: kind,
    topic: rules.topics.raw(kind),
    subject: rules.topics.rawSubject(kind),
    schema: contractOfKind[kind].schema,
    key: msg.identity.deviceId,
    record: result.record,
  };
}
