import type { Type } from 'avsc';
import { contracts, parseSchema, type InferenceRaw, type LogRaw, type StatusRaw, type TelemetryRaw } from '@zenthos/schemas';
import type { InvalidReason } from '../errors';
import type { DeviceIdentity, MessageKind } from './topics';

/** The Avro record of each kind as the bridge produces it (schemas/avro/<kind>-raw.avsc). */
export interface RawRecordByKind {
  telemetry: TelemetryRaw;
  status: StatusRaw;
  inference: InferenceRaw;
  logs: LogRaw;
}

/** A raw record of any kind. */
export type RawRecord = RawRecordByKind[MessageKind];

/** The contract (schemas/avro) behind each kind. */
export const contractOfKind = {
  telemetry: contracts['telemetry-raw'],
  status: contracts['status-raw'],
  inference: contracts['inference-raw'],
  logs: contracts['logs-raw'],
} as const;

/** Limits a payload is checked against. */
export interface PayloadRules {
  /** How far the device clock (`timestamp`) may be from the bridge clock, in seconds. */
  readonly maxClockSkewS: number;
  /** Largest payload accepted, in bytes. */
  readonly maxPayloadBytes: number;
}

/** Outcome of {@link validatePayload}: the record to produce, or why the payload is invalid. */
export type PayloadValidation =
  | { readonly ok: true; readonly record: RawRecord }
  | { readonly ok: false; readonly reason: InvalidReason; readonly message: string; readonly messageId?: string };

// RFC 9562 textual form; any version, since firmware may move to UUIDv7 (time-ordered).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const avroTypes = new Map<MessageKind, Type>();

const avroTypeOf = (kind: MessageKind): Type => {
  let type = avroTypes.get(kind);
  if (!type) {
    type = parseSchema(contractOfKind[kind].schema);
    avroTypes.set(kind, type);
  }
  return type;
};

interface ContractField {
  readonly name: string;
  readonly default?: unknown;
}

const invalid = (reason: InvalidReason, message: string, messageId?: string): PayloadValidation =>
  messageId === undefined ? { ok: false, reason, message } : { ok: false, reason, message, messageId };

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// An object of finite numbers; a loop instead of Object.values(...).every(...), which built an
// array and a closure for every message.
const isSensorMap = (v: unknown): boolean => {
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    const n = v[k];
    if (typeof n !== 'number' || !Number.isFinite(n)) return false;
  }
  return true;
};

/**
 * Checks a device payload against its contract and builds the Avro record (spec §5, DESIGN.md
 * MQTT): UTF-8 JSON object; `message_id` a UUID; `device_id` and `device_model` equal to the
 * authenticated identity (a device cannot speak for another); `timestamp` integer epoch
 * seconds within `maxClockSkewS` of the bridge clock; telemetry `sensors` numeric; every
 * other field as the contract types it, with contract defaults for missing optional fields.
 * `ingest_ts` is the bridge's receive time; a device-sent value is ignored.
 */
export function validatePayload(
  kind: MessageKind,
  payload: Uint8Array,
  identity: DeviceIdentity,
  receivedAtMs: number,
  rules: PayloadRules,
): PayloadValidation {
  if (payload.byteLength > rules.maxPayloadBytes) {
    return invalid('payload_too_large', `payload of ${payload.byteLength} bytes exceeds ${rules.maxPayloadBytes}`);
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return invalid('not_utf8', 'payload is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return invalid('not_json', `payload is not JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(json)) return invalid('not_object', 'payload must be a JSON object');

  const messageId = json['message_id'];
  if (typeof messageId !== 'string' || !UUID.test(messageId)) return invalid('bad_message_id', 'message_id must be a UUID');
  const mid = messageId.toLowerCase();
  if (json['device_id'] !== identity.deviceId) {
    return invalid('identity_mismatch', `device_id must be ${identity.deviceId}, the authenticated device`, mid);
  }
  if (json['device_model'] !== identity.model) {
    return invalid('identity_mismatch', `device_model must be ${identity.model}, the authenticated device's model`, mid);
  }
  const timestamp = json['timestamp'];
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp < 0) {
    return invalid('bad_timestamp', 'timestamp must be integer epoch seconds', mid);
  }
  if (Math.abs(timestamp - receivedAtMs / 1000) > rules.maxClockSkewS) {
    return invalid('clock_skew', `timestamp ${timestamp} is more than ${rules.maxClockSkewS}s from the bridge clock`, mid);
  }
  if (kind === 'telemetry' && !isSensorMap(json['sensors'])) return invalid('bad_sensors', 'sensors must be an object of numbers', mid);

  // Copy exactly the contract's fields: unknown extra fields are dropped (a newer firmware may
  // send more), missing optional ones take the contract default.
  const record: Record<string, unknown> = {};
  for (const field of contractOfKind[kind].schema.fields as readonly ContractField[]) {
    const value = json[field.name];
    record[field.name] = value === undefined ? field.default : value;
  }
  record['message_id'] = mid;
  record['ingest_ts'] = receivedAtMs;

  const type = avroTypeOf(kind);
  // The plain check is avsc's fast path; the one that collects the failing paths runs only for an invalid record.
  if (type.isValid(record)) return { ok: true, record: record as unknown as RawRecord };
  const problems: string[] = [];
  type.isValid(record, { errorHook: (path: string[]) => problems.push(path.join('.') || '(record)') });
  return invalid('schema_mismatch', `fields do not match the ${kind} contract: ${[...new Set(problems)].slice(0, 5).join(', ')}`, mid);
}
