// Telemetry payloads for load generation, built once per device by the firmware's own
// `buildTelemetry` and then reused: per message only the message_id and the timestamp bytes
// change, written in place, so a generator spends no time on JSON.stringify and UTF-8 encoding
// for tens of thousands of messages a second.
import { buildTelemetry, type DeviceIdentity } from '@zenthos/firmware-common';

/** A telemetry payload with the places of its per-message fields. */
export interface TelemetryTemplate {
  /** UTF-8 JSON exactly as `JSON.stringify(buildTelemetry(...).payload)` writes it. */
  readonly payload: Buffer;
  /** Offset of the 36 characters of `message_id`. */
  readonly messageIdOffset: number;
  /** Offset of the 10 digits of `timestamp` (epoch seconds). */
  readonly timestampOffset: number;
}

/** What stays the same across a device's messages. */
export interface TelemetryTemplateInput {
  readonly identity: DeviceIdentity;
  readonly sensors: Readonly<Record<string, number>>;
  readonly firmwareVersion: string;
  readonly modelVersion: string | undefined;
}

// Placeholders that cannot occur elsewhere in a payload: a nil-like UUIDv4 and 10-digit seconds.
const MESSAGE_ID_PLACEHOLDER = '00000000-0000-4000-8000-000000000000';
const TIMESTAMP_PLACEHOLDER_S = 1_000_000_000;

/**
 * Builds a device's payload template with the firmware's `buildTelemetry`: the bytes a device
 * would send, with a placeholder `message_id` and `timestamp` to be overwritten per message by
 * {@link writeUuidV4} and {@link writeEpochSeconds}.
 */
export function telemetryTemplate(input: TelemetryTemplateInput): TelemetryTemplate {
  const { payload, rejected } = buildTelemetry({
    identity: input.identity,
    messageId: MESSAGE_ID_PLACEHOLDER,
    nowMs: TIMESTAMP_PLACEHOLDER_S * 1000,
    sensors: input.sensors,
    firmwareVersion: input.firmwareVersion,
    modelVersion: input.modelVersion,
  });
  if (rejected.length > 0) throw new RangeError(`sensor readings that are not finite numbers: ${rejected.join(', ')}`);
  const json = JSON.stringify(payload);
  const idKey = `"message_id":"${MESSAGE_ID_PLACEHOLDER}"`;
  const tsKey = `"timestamp":${TIMESTAMP_PLACEHOLDER_S}`;
  const idAt = json.indexOf(idKey);
  const tsAt = json.indexOf(tsKey);
  if (idAt < 0 || tsAt < 0) throw new RangeError('telemetry payload without message_id or timestamp');
  // Offsets in bytes: the JSON before these fields may hold multi-byte UTF-8 (device ids, versions).
  return {
    payload: Buffer.from(json, 'utf8'),
    messageIdOffset: Buffer.byteLength(json.slice(0, idAt), 'utf8') + '"message_id":"'.length,
    timestampOffset: Buffer.byteLength(json.slice(0, tsAt), 'utf8') + '"timestamp":'.length,
  };
}

// ASCII hex digit of each nibble.
const HEX = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
// Where each of the 16 bytes goes in the 36-character form 8-4-4-4-12.
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/**
 * Writes the RFC 9562 UUID version 4 of 16 random bytes (`random[from, from + 16)`) as 36 lower-case
 * characters at `dest[offset]`, setting the version nibble to 4 and the variant bits to 10 as
 * `uuidV4` of the firmware does. The dashes are written too.
 */
export function writeUuidV4(random: Uint8Array, from: number, dest: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    let b = random[from + i] as number;
    if (i === 6) b = (b & 0x0f) | 0x40;
    else if (i === 8) b = (b & 0x3f) | 0x80;
    const at = offset + (UUID_BYTE_AT[i] as number);
    dest[at] = HEX[b >> 4] as number;
    dest[at + 1] = HEX[b & 0x0f] as number;
  }
  dest[offset + 8] = 0x2d;
  dest[offset + 13] = 0x2d;
  dest[offset + 18] = 0x2d;
  dest[offset + 23] = 0x2d;
}

/** The 36-character UUIDv4 {@link writeUuidV4} writes for the same 16 random bytes. */
export function formatUuidV4(random: Uint8Array, from = 0): string {
  const out = Buffer.allocUnsafe(36);
  writeUuidV4(random, from, out, 0);
  return out.toString('latin1');
}

/**
 * Writes whole epoch seconds of `nowMs` as the 10 ASCII digits at `dest[offset]` (a template's
 * `timestamp`; 10 digits hold every second from 2001 to 2286).
 */
export function writeEpochSeconds(nowMs: number, dest: Uint8Array, offset: number): void {
  let s = Math.floor(nowMs / 1000);
  if (s < 1_000_000_000 || s > 9_999_999_999) throw new RangeError(`epoch seconds ${s} do not have 10 digits`);
  for (let i = 9; i >= 0; i--) {
    dest[offset + i] = 0x30 + (s % 10);
    s = Math.floor(s / 10);
  }
}

const MESSAGE_ID_KEY = Buffer.from('"message_id":"', 'latin1');

/**
 * The `message_id` of a telemetry payload `buf[start, end)` without parsing the JSON (a
 * subscriber counting tens of thousands of messages a second); undefined when there is none.
 */
export function readMessageId(buf: Buffer, start: number, end: number): string | undefined {
  const at = buf.indexOf(MESSAGE_ID_KEY, start);
  if (at < 0 || at + MESSAGE_ID_KEY.length + 37 > end) return undefined;
  const from = at + MESSAGE_ID_KEY.length;
  if (buf[from + 36] !== 0x22) return undefined; // the closing quote of a 36-character UUID
  return buf.toString('latin1', from, from + 36);
}
