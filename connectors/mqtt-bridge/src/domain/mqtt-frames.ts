/** Result of feeding bytes to a {@link FrameScanner}. */
export type ScanResult =
  | { readonly ok: true; readonly frames: Buffer[] }
  | { readonly ok: false; readonly reason: 'packet_too_large' | 'malformed_packet'; readonly message: string };

/** Splits an MQTT byte stream into whole control packets, refusing oversized ones early. */
export interface FrameScanner {
  push(chunk: Buffer): ScanResult;
  /** Bytes held for an incomplete packet. */
  readonly buffered: number;
}

/**
 * An incremental MQTT framer. Every control packet starts with a fixed header: one type byte,
 * then the Remaining Length as a variable byte integer of at most four bytes (MQTT 3.1.1
 * §2.2.3, MQTT 5 §1.5.5). The scanner reads that header and refuses a packet whose total size
 * exceeds `maxPacketBytes` before any of its body is buffered, for every protocol version
 * (aedes and mqtt-packet would otherwise buffer up to 256 MB of one packet). A fifth length
 * byte is malformed.
 */
export function createFrameScanner(maxPacketBytes: number): FrameScanner {
  let held: Buffer = Buffer.alloc(0);
  const frames: Buffer[] = [];

  // Total size of the packet at the start of `buf`, or undefined while the header is incomplete.
  const headerOf = (buf: Buffer): { total: number } | { error: ScanResult } | undefined => {
    let multiplier = 1;
    let remaining = 0;
    for (let i = 1; i <= 4; i++) {
      if (i >= buf.length) return undefined;
      const byte = buf[i] as number;
      remaining += (byte & 0x7f) * multiplier;
      if ((byte & 0x80) === 0) {
        const total = 1 + i + remaining;
        if (total > maxPacketBytes) {
          return { error: { ok: false, reason: 'packet_too_large', message: `packet of ${total} bytes exceeds ${maxPacketBytes}` } };
        }
        return { total };
      }
      multiplier *= 128;
    }
    return { error: { ok: false, reason: 'malformed_packet', message: 'remaining length longer than four bytes' } };
  };

  return {
    push(chunk) {
      let buf = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      frames.length = 0;
      for (;;) {
        if (buf.length < 2) break;
        const header = headerOf(buf);
        if (header === undefined) break;
        if ('error' in header) {
          held = Buffer.alloc(0);
          return header.error;
        }
        if (buf.length < header.total) break;
        frames.push(buf.subarray(0, header.total));
        buf = buf.subarray(header.total);
      }
      // Copy the tail so a large chunk is not kept alive by a small remainder.
      held = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
      return { ok: true, frames: frames.slice() };
    },
    get buffered() {
      return held.length;
    },
  };
}

/** The fields of an MQTT 3.1.1 PUBLISH the bridge needs (MQTT 3.1.1 §3.3). */
export interface PublishFrame {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  /** Present for QoS 1 and 2. */
  readonly messageId: number | undefined;
  /** A view of the frame, not a copy. */
  readonly payload: Buffer;
}

// Offset of the variable header: after the type byte and the Remaining Length bytes.
const bodyStart = (frame: Buffer): number => {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  return i + 1;
};

/**
 * Reads a whole MQTT 3.1.1 PUBLISH frame (as the scanner cut it): topic, QoS, packet id and
 * payload; undefined when it is malformed (QoS 3, MQTT 3.1.1 §3.3.1.2; a topic or packet id
 * past the end of the packet).
 */
export function parsePublishFrame(frame: Buffer): PublishFrame | undefined {
  const qos = ((frame[0] as number) >> 1) & 0x03;
  if (qos === 3) return undefined;
  let at = bodyStart(frame);
  if (at + 2 > frame.length) return undefined;
  const topicLength = frame.readUInt16BE(at);
  at += 2;
  if (at + topicLength > frame.length) return undefined;
  const topic = frame.toString('utf8', at, at + topicLength);
  at += topicLength;
  let messageId: number | undefined;
  if (qos > 0) {
    if (at + 2 > frame.length) return undefined;
    messageId = frame.readUInt16BE(at);
    at += 2;
  }
  return { topic, qos: qos as 0 | 1 | 2, messageId, payload: frame.subarray(at) };
}

/**
 * The Keep Alive of a CONNECT frame, in seconds (MQTT 3.1.1 §3.1.2.10), and a copy of the
 * frame with it set to 0; undefined when the frame is too short to hold it.
 */
export function takeConnectKeepAlive(frame: Buffer): { keepAliveS: number; frame: Buffer } | undefined {
  const nameStart = bodyStart(frame);
  if (nameStart + 2 > frame.length) return undefined;
  // Protocol name, protocol level (1 byte), connect flags (1 byte), then Keep Alive (2 bytes).
  const at = nameStart + 2 + frame.readUInt16BE(nameStart) + 2;
  if (at + 2 > frame.length) return undefined;
  const copy = Buffer.from(frame);
  copy.writeUInt16BE(0, at);
  return { keepAliveS: frame.readUInt16BE(at), frame: copy };
}
