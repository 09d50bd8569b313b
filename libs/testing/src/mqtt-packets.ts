// The few MQTT control packets a QoS 1 publisher needs, encoded and decoded without a client
// library: CONNECT / CONNACK, PUBLISH / PUBACK, PINGREQ / PINGRESP and DISCONNECT of MQTT 3.1.1
// (OASIS, 2014) and MQTT 5.0 (OASIS, 2019). Pure code: buffers in, buffers and numbers out.
import { ZenthosError, type ErrorCode } from '@zenthos/core';

/** MQTT protocol levels: 4 = 3.1.1, 5 = 5.0 (MQTT 3.1.1 §3.1.2.2, MQTT 5 §3.1.2.2). */
export type MqttProtocolVersion = 4 | 5;

/** Control packet types (MQTT 3.1.1 §2.2.1): the high nibble of the first byte. */
export const packetTypes = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  subscribe: 8,
  suback: 9,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
} as const;

/** Largest Remaining Length a fixed header can carry: four 7-bit groups (MQTT 3.1.1 §2.2.3). */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes the Remaining Length of `n` takes (1 to 4). */
export const remainingLengthSize = (n: number): number => (n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4);

/**
 * Writes `n` as the variable-length Remaining Length at `offset` (MQTT 3.1.1 §2.2.3: 7 bits per
 * byte, least significant group first, high bit = more bytes follow); returns the offset after it.
 */
export function writeRemainingLength(buf: Uint8Array, offset: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_REMAINING_LENGTH) throw new RangeError(`remaining length ${n} out of range`);
  let value = n;
  let at = offset;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (value > 0);
  return at;
}

/** A Remaining Length read from a buffer: its value and how many bytes it took. */
export interface RemainingLength {
  readonly value: number;
  readonly bytes: number;
}

/**
 * Reads a Remaining Length starting at `offset`: undefined when the data (`buf` up to `end`)
 * ends before its last byte (wait for more data). Throws on a fifth continuation byte (malformed, MQTT 3.1.1 §2.2.3).
 */
export function readRemainingLength(buf: Uint8Array, offset: number, end = buf.length): RemainingLength | undefined {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= end) return undefined;
    const byte = buf[offset + i] as number;
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { value, bytes: i + 1 };
    multiplier *= 128;
  }
  throw new ZenthosError('ZEN_DECODE_FAILED', 'malformed MQTT remaining length (more than 4 bytes)');
}

/** Settings of a CONNECT packet. */
export interface ConnectOptions {
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** Keep Alive in seconds (0 = off): the longest silence the broker accepts from the client. */
  readonly keepAliveS: number;
  /** Clean Session (3.1.1) / Clean Start (5). Default true. */
  readonly clean?: boolean;
  readonly protocolVersion: MqttProtocolVersion;
}

const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');

const writeString = (buf: Buffer, offset: number, s: string): number => {
  const n = buf.write(s, offset + 2, 'utf8');
  buf.writeUInt16BE(n, offset);
  return offset + 2 + n;
};

/** Encodes CONNECT (MQTT 3.1.1 §3.1, MQTT 5 §3.1; no will, no CONNECT properties). */
export function encodeConnect(options: ConnectOptions): Buffer {
  const strings = [options.clientId, options.username, options.password].filter((s): s is string => s !== undefined);
  for (const s of strings) if (utf8Length(s) > 65_535) throw new RangeError('CONNECT string longer than 65535 bytes');
  if (!Number.isInteger(options.keepAliveS) || options.keepAliveS < 0 || options.keepAliveS > 65_535) {
    throw new RangeError(`keep alive ${options.keepAliveS} s out of range`);
  }
  if (options.password !== undefined && options.username === undefined && options.protocolVersion === 4) {
    // MQTT 3.1.1 §3.1.2.9: a password without a user name is a protocol violation.
    throw new RangeError('MQTT 3.1.1 does not allow a password without a user name');
  }
  const properties = options.protocolVersion === 5 ? 1 : 0; // property length 0
  const variable = 2 + 4 + 1 + 1 + 2 + properties; // "MQTT", level, flags, keep alive
  const payload = strings.reduce((n, s) => n + 2 + utf8Length(s), 0);
  const remaining = variable + payload;
  const buf = Buffer.alloc(1 + remainingLengthSize(remaining) + remaining);
  buf[0] = packetTypes.connect << 4;
  let at = writeRemainingLength(buf, 1, remaining);
  at = writeString(buf, at, 'MQTT');
  buf[at++] = options.protocolVersion;
  let flags = options.clean === false ? 0 : 0x02;
  if (options.username !== undefined) flags |= 0x80;
  if (options.password !== undefined) flags |= 0x40;
  buf[at++] = flags;
  buf.writeUInt16BE(options.keepAliveS, at);
  at += 2;
  if (options.protocolVersion === 5) buf[at++] = 0;
  at = writeString(buf, at, options.clientId);
  if (options.username !== undefined) at = writeString(buf, at, options.username);
  if (options.password !== undefined) writeString(buf, at, options.password);
  return buf;
}

/** PINGREQ (MQTT 3.1.1 §3.12): no variable header, no payload. */
export const PINGREQ: Readonly<Uint8Array> = Uint8Array.of(packetTypes.pingreq << 4, 0);

/** DISCONNECT (MQTT 3.1.1 §3.14; MQTT 5 §3.14.2.1: no reason code means 0x00 normal disconnection). */
export const DISCONNECT: Readonly<Uint8Array> = Uint8Array.of(packetTypes.disconnect << 4, 0);

/**
 * Layout of a QoS 1 PUBLISH with a fixed topic and a payload of fixed length, so that many can be
 * written from one template by patching the Packet Identifier (MQTT 3.1.1 §3.3.2.2).
 */
export interface PublishLayout {
  /** The whole packet with Packet Identifier 0 and the given payload bytes. */
  readonly template: Buffer;
  /** Offset of the two Packet Identifier bytes within the packet. */
  readonly packetIdOffset: number;
  /** Offset of the payload within the packet. */
  readonly payloadOffset: number;
}

/** Encodes a QoS 1 PUBLISH (DUP 0, RETAIN 0) with Packet Identifier 0; see {@link PublishLayout}. */
export function encodePublishQos1(topic: string, payload: Uint8Array, protocolVersion: MqttProtocolVersion): PublishLayout {
  const topicBytes = utf8Length(topic);
  if (topicBytes === 0 || topicBytes > 65_535) throw new RangeError('topic must be 1 to 65535 bytes');
  const properties = protocolVersion === 5 ? 1 : 0; // MQTT 5 §3.3.2.3: property length 0
  const remaining = 2 + topicBytes + 2 + properties + payload.length;
  const header = 1 + remainingLengthSize(remaining);
  const template = Buffer.alloc(header + remaining);
  // MQTT 3.1.1 §3.3.1: type 3, flags DUP 0, QoS 01, RETAIN 0.
  template[0] = (packetTypes.publish << 4) | 0x02;
  writeRemainingLength(template, 1, remaining);
  const packetIdOffset = writeString(template, header, topic);
  const payloadOffset = packetIdOffset + 2 + properties;
  template.set(payload, payloadOffset);
  return { template, packetIdOffset, payloadOffset };
}

/** Encodes SUBSCRIBE for one topic filter (MQTT 3.1.1 §3.8: fixed header flags 0010; MQTT 5 §3.8: empty properties, options = QoS). */
export function encodeSubscribe(packetId: number, topicFilter: string, qos: 0 | 1, protocolVersion: MqttProtocolVersion): Buffer {
  if (packetId < 1 || packetId > 65_535) throw new RangeError(`packet identifier ${packetId} out of range`);
  const filterBytes = utf8Length(topicFilter);
  if (filterBytes === 0 || filterBytes > 65_535) throw new RangeError('topic filter must be 1 to 65535 bytes');
  const properties = protocolVersion === 5 ? 1 : 0;
  const remaining = 2 + properties + 2 + filterBytes + 1;
  const buf = Buffer.alloc(1 + remainingLengthSize(remaining) + remaining);
  buf[0] = (packetTypes.subscribe << 4) | 0x02;
  let at = writeRemainingLength(buf, 1, remaining);
  buf.writeUInt16BE(packetId, at);
  at += 2;
  if (protocolVersion === 5) buf[at++] = 0;
  at = writeString(buf, at, topicFilter);
  buf[at] = qos;
  return buf;
}

/** A SUBACK: the SUBSCRIBE it answers and the granted QoS (or failure code) per filter. */
export interface Suback {
  readonly packetId: number;
  /** 0–2 = granted QoS; 0x80 = failure (3.1.1 §3.9.3); MQTT 5: any code ≥ 0x80 is a refusal (§3.9.3). */
  readonly returnCodes: readonly number[];
}

/** Decodes a SUBACK body, `buf[start, end)`; MQTT 5 properties are skipped. */
export function decodeSuback(buf: Buffer, start: number, end: number, protocolVersion: MqttProtocolVersion): Suback {
  if (end - start < 3) throw new ZenthosError('ZEN_DECODE_TRUNCATED', `SUBACK of ${end - start} bytes`);
  const packetId = ((buf[start] as number) << 8) | (buf[start + 1] as number);
  let at = start + 2;
  if (protocolVersion === 5) {
    const properties = readRemainingLength(buf, at, end);
    if (!properties) throw new ZenthosError('ZEN_DECODE_TRUNCATED', 'SUBACK properties cut off');
    at += properties.bytes + properties.value;
  }
  return { packetId, returnCodes: [...buf.subarray(at, end)] };
}

/** Where the parts of a received PUBLISH lie (offsets into the buffer it was read from). */
export interface PublishView {
  readonly qos: number;
  /** 0 for QoS 0 (no Packet Identifier). */
  readonly packetId: number;
  readonly topicStart: number;
  readonly topicEnd: number;
  /** The payload runs from here to the end of the packet. */
  readonly payloadStart: number;
}

/**
 * Finds topic, Packet Identifier and payload of a PUBLISH body `buf[start, end)` with the fixed
 * header's `flags` (MQTT 3.1.1 §3.3: QoS in bits 1–2, a Packet Identifier only for QoS 1 and 2;
 * MQTT 5 §3.3.2.3: properties after it, skipped here).
 */
export function readPublish(buf: Buffer, start: number, end: number, flags: number, protocolVersion: MqttProtocolVersion): PublishView {
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new ZenthosError('ZEN_DECODE_FAILED', 'PUBLISH with QoS 3 (MQTT 3.1.1 §3.3.1.2)');
  if (end - start < 2) throw new ZenthosError('ZEN_DECODE_TRUNCATED', 'PUBLISH without a topic');
  const topicStart = start + 2;
  const topicEnd = topicStart + (((buf[start] as number) << 8) | (buf[start + 1] as number));
  let at = topicEnd;
  let packetId = 0;
  if (qos > 0) {
    if (at + 2 > end) throw new ZenthosError('ZEN_DECODE_TRUNCATED', 'PUBLISH without its packet identifier');
    packetId = ((buf[at] as number) << 8) | (buf[at + 1] as number);
    at += 2;
  }
  if (protocolVersion === 5) {
    const properties = readRemainingLength(buf, at, end);
    if (!properties) throw new ZenthosError('ZEN_DECODE_TRUNCATED', 'PUBLISH properties cut off');
    at += properties.bytes + properties.value;
  }
  if (at > end) throw new ZenthosError('ZEN_DECODE_TRUNCATED', 'PUBLISH shorter than its headers');
  return { qos, packetId, topicStart, topicEnd, payloadStart: at };
}

/** Writes a PUBACK for `packetId` (MQTT 3.1.1 §3.4; in MQTT 5 a remaining length of 2 means success) at `offset`. */
export function writePuback(buf: Uint8Array, offset: number, packetId: number): number {
  buf[offset] = packetTypes.puback << 4;
  buf[offset + 1] = 2;
  buf[offset + 2] = packetId >> 8;
  buf[offset + 3] = packetId & 0xff;
  return offset + 4;
}

/**
 * Called for each complete control packet: its type, the flags nibble, and where its body
 * (variable header + payload) lies in `buf`. The bytes are only valid during the call.
 */
export type PacketHandler = (type: number, flags: number, buf: Buffer, start: number, end: number) => void;

/**
 * Splits a TCP byte stream into MQTT control packets: a packet may arrive split over several
 * chunks, and one chunk may hold several packets. `push` calls the handler for every complete
 * packet of the data so far, in order, and keeps the bytes of an incomplete one for the next chunk.
 */
export interface PacketReader {
  /** Takes `chunk[0, length)` (the whole chunk by default); the bytes are not kept past the call. */
  push(chunk: Buffer, length?: number): void;
  /** Bytes held back for an incomplete packet. */
  readonly pending: number;
}

/**
 * Creates a {@link PacketReader}. A packet longer than `maxPacketBytes` throws
 * ZEN_DECODE_LIMIT_EXCEEDED (a publisher only expects small acknowledgements back). No object is
 * made per packet: at tens of thousands of PUBACKs a second that is the reader's whole cost.
 */
export function createPacketReader(onPacket: PacketHandler, maxPacketBytes = 1 << 20): PacketReader {
  let rest: Buffer | undefined;
  return {
    get pending() {
      return rest?.length ?? 0;
    },
    push(chunk, length = chunk.length) {
      const buf = rest ? Buffer.concat([rest, chunk.subarray(0, length)]) : chunk;
      const size = rest ? buf.length : length;
      rest = undefined;
      let at = 0;
      while (at + 1 < size) {
        let length: number;
        let lengthBytes: number;
        const b1 = buf[at + 1] as number;
        if (b1 < 0x80) {
          length = b1;
          lengthBytes = 1;
        } else {
          const read = readRemainingLength(buf, at + 1, size);
          if (!read) break;
          length = read.value;
          lengthBytes = read.bytes;
        }
        if (length > maxPacketBytes) {
          throw new ZenthosError('ZEN_DECODE_LIMIT_EXCEEDED', `MQTT packet of ${length} bytes exceeds ${maxPacketBytes}`);
        }
        const start = at + 1 + lengthBytes;
        const end = start + length;
        if (end > size) break;
        const first = buf[at] as number;
        onPacket(first >> 4, first & 0x0f, buf, start, end);
        at = end;
      }
      // Copied: a view would keep the whole chunk alive.
      if (at < size) rest = Buffer.from(buf.subarray(at, size));
    },
  };
}

/** What a CONNACK says (MQTT 3.1.1 §3.2, MQTT 5 §3.2). */
export interface Connack {
  readonly sessionPresent: boolean;
  /** 3.1.1 Connect Return Code or MQTT 5 Connect Reason Code; 0 = accepted. */
  readonly returnCode: number;
}

/** Decodes a CONNACK body (`buf[start, end)`). */
export function decodeConnack(buf: Buffer, start = 0, end = buf.length): Connack {
  if (end - start < 2) throw new ZenthosError('ZEN_DECODE_TRUNCATED', `CONNACK of ${end - start} bytes`);
  return { sessionPresent: ((buf[start] as number) & 0x01) === 1, returnCode: buf[start + 1] as number };
}

/** MQTT 3.1.1 §3.2.2.3, Table 3.1: why a server refused a connection. */
export const connectReturnCodes: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** MQTT 5 §3.2.2.2: the CONNACK reason codes a server sends when it refuses a connection. */
export const connectReasonCodes: Readonly<Record<number, string>> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x90: 'topic name invalid',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};

const refusalCode = (description: string | undefined): ErrorCode => {
  switch (description) {
    case 'bad user name or password':
    case 'bad authentication method':
      return 'ZEN_MQTT_BAD_CREDENTIALS';
    case 'not authorized':
    case 'banned':
      return 'ZEN_MQTT_NOT_AUTHORIZED';
    case 'server unavailable':
    case 'server busy':
    case 'connection rate exceeded':
    case 'quota exceeded':
      return 'ZEN_DEPENDENCY_UNAVAILABLE';
    default:
      return 'ZEN_BAD_REQUEST';
  }
};

/**
 * The error for a refused connection, undefined when the CONNACK accepted it: the code tells
 * credentials (ZEN_MQTT_BAD_CREDENTIALS), permissions (ZEN_MQTT_NOT_AUTHORIZED) and a busy or
 * unavailable server (ZEN_DEPENDENCY_UNAVAILABLE, retriable) apart from the rest (ZEN_BAD_REQUEST);
 * the message names the return code and its meaning.
 */
export function connectRefusal(connack: Connack, protocolVersion: MqttProtocolVersion, clientId: string): ZenthosError | undefined {
  const code = connack.returnCode;
  if (code === 0) return undefined;
  const description = (protocolVersion === 5 ? connectReasonCodes : connectReturnCodes)[code];
  const errorCode = refusalCode(description);
  return new ZenthosError(
    errorCode,
    `MQTT connection of ${clientId} refused: ${protocolVersion === 5 ? 'reason' : 'return'} code ${code} (${description ?? 'unknown code'})`,
    errorCode === 'ZEN_DEPENDENCY_UNAVAILABLE',
  );
}

/** A PUBACK: the Packet Identifier it acknowledges and, in MQTT 5, its reason code (0 when absent). */
export interface Puback {
  readonly packetId: number;
  /** MQTT 5 §3.4.2.1: below 0x80 the publish was accepted; 3.1.1 has no reason code (always 0). */
  readonly reasonCode: number;
}

/** Decodes a PUBACK body, `buf[start, end)` (MQTT 3.1.1 §3.4; MQTT 5 §3.4.2.1: a remaining length of 2 means reason 0x00). */
export function decodePuback(buf: Buffer, start = 0, end = buf.length): Puback {
  if (end - start < 2) throw new ZenthosError('ZEN_DECODE_TRUNCATED', `PUBACK of ${end - start} bytes`);
  return {
    packetId: ((buf[start] as number) << 8) | (buf[start + 1] as number),
    reasonCode: end - start > 2 ? (buf[start + 2] as number) : 0,
  };
}

/**
 * Hands out Packet Identifiers for QoS 1 PUBLISHes and remembers what each one carries: 1 to
 * 65535 in turn, wrapping to 1 after 65535 (0 is not allowed, MQTT 3.1.1 §2.2.1) and skipping
 * any identifier whose PUBACK has not arrived yet, which must not be reused while in flight
 * (MQTT 3.1.1 §2.3.1).
 */
export interface PacketIds<T> {
  /** The next free identifier, now in flight with `value`; throws when all 65535 are in flight. */
  take(value: T): number;
  /** Frees an identifier (its PUBACK arrived) and returns its value; undefined when it was not in flight. */
  release(id: number): T | undefined;
  isInFlight(id: number): boolean;
  readonly inFlight: number;
}

/**
 * Creates a {@link PacketIds}; `start` is the first identifier to try (1 by default). Memory grows
 * with the identifiers in flight, not with the identifier space: a load generator holds one per
 * connection.
 */
export function createPacketIds<T>(start = 1): PacketIds<T> {
  if (!Number.isInteger(start) || start < 1 || start > 65_535) throw new RangeError(`packet identifier ${start} out of range`);
  const inFlight = new Map<number, T>();
  let next = start;
  return {
    get inFlight() {
      return inFlight.size;
    },
    take(value) {
      if (inFlight.size >= 65_535) throw new RangeError('all 65535 packet identifiers are in flight');
      while (inFlight.has(next)) next = next === 65_535 ? 1 : next + 1;
      const id = next;
      inFlight.set(id, value);
      next = id === 65_535 ? 1 : id + 1;
      return id;
    },
    release(id) {
      const value = inFlight.get(id);
      if (value === undefined && !inFlight.has(id)) return undefined;
      inFlight.delete(id);
      return value;
    },
    isInFlight: (id) => inFlight.has(id),
  };
}
