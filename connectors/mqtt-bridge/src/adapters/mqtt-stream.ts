import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import type { RefusalReason } from '../errors';
import { createFrameScanner, parsePublishFrame, takeConnectKeepAlive } from '../domain/mqtt-frames';
import type { MessageKind, PublishDecision } from '../domain/topics';

/** Options of {@link createGuardedMqttStream}. */
export interface GuardedStreamOptions {
  readonly maxPacketBytes: number;
  /** Called once when the connection is closed for a transport-level violation. */
  readonly onViolation?: (reason: RefusalReason, message: string) => void;
}

/** The stream aedes handles: the socket behind a packet-size guard and, for MQTT 5, a translator. */
export interface GuardedMqttStream extends Duplex {
  /** Protocol level from the CONNECT packet (3, 4 or 5), once seen. */
  readonly protocolVersion: number | undefined;
  /** The TLS peer certificate's subject CN, when the client presented one. */
  peerCommonName: string | undefined;
  /**
   * The MQTT 5 user properties of the QoS 1/2 PUBLISH with this packet id, once (aedes sees
   * MQTT 3.1.1 packets, which have none): how a device's `traceparent` reaches the bridge.
   */
  takeUserProperties(messageId: number | undefined): Record<string, string | string[]> | undefined;
  /**
   * Set by the broker once the device's session is ready (after CONNACK); from then on the
   * device's QoS 0 and 1 publishes are handled here and never reach aedes (see
   * {@link PublishHandler}). Until then, and for QoS 2, aedes handles them.
   */
  publishHandler: PublishHandler | undefined;
}

/** A device publish the stream hands to the broker's pipeline. */
export interface DevicePublish {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly payload: Buffer;
  /** MQTT 5 user properties (a device's `traceparent`), if any. */
  readonly userProperties: Record<string, string | string[]> | undefined;
}

/**
 * How the broker takes a device's publishes. Device messages are for the platform, not for
 * other MQTT subscribers, so aedes has nothing to route, retain or store for them: the stream
 * parses the PUBLISH, the broker checks the ACL and produces to Kafka, and the stream writes
 * the PUBACK once Kafka has the record (MQTT 3.1.1 §4.3.2), without aedes' packet parsing,
 * publish pipeline and packet generation per message.
 */
export interface PublishHandler {
  /** The publish ACL: allowed with the topic's kind, or refused (the broker counts the refusal). */
  authorize(topic: string): PublishDecision;
  /**
   * Calls `done` once Kafka has acknowledged the message, or with an error when it could not
   * take it; never synchronously (a callback, not a promise: this runs for every message).
   */
  handle(publish: DevicePublish, kind: MessageKind, done: (err?: Error) => void): void;
}

/**
 * How much of one connection may wait for Kafka before its socket is no longer read: at most
 * this many publishes or payload bytes (plus the rest of the chunk that crossed the bound, at
 * most one socket read). Reading every chunk as it comes while a client's usual window is in
 * flight, instead of pausing after each chunk until all of its publishes are answered, saves a
 * stop/start of the socket per chunk and lets the next publishes join the same Kafka batch; the
 * bridge-wide bound stays BRIDGE_MAX_IN_FLIGHT.
 */
export const PENDING_PUBLISHES_MAX = 256;
/** See {@link PENDING_PUBLISHES_MAX}. */
export const PENDING_BYTES_MAX = 64 * 1024;

// MQTT 5 §3.4.2.1 PUBACK / §3.5.2.1 PUBREC reason codes of a refused PUBLISH.
const NOT_AUTHORIZED = 0x87;
const TOPIC_NAME_INVALID = 0x90;
/** The negative acknowledgement of a refused publish: a wildcard is no topic name at all, the rest is not this device's. */
export const publishRefusalCode = (reason: RefusalReason): number =>
  reason === 'wildcard' || reason === 'empty_topic' ? TOPIC_NAME_INVALID : NOT_AUTHORIZED;

// MQTT 3.1.1 CONNACK return codes → MQTT 5 reason codes (MQTT 5 §3.2.2.2).
const connackReason: Record<number, number> = { 0: 0x00, 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };

// The protocol level byte of a CONNECT frame (MQTT 3.1.1 §3.1.2.2), or undefined if malformed.
const protocolLevelOf = (frame: Buffer): number | undefined => {
  let i = 1;
  while (i < frame.length && ((frame[i] as number) & 0x80) !== 0) i++;
  const nameStart = i + 1;
  if (nameStart + 2 > frame.length) return undefined;
  const nameLength = frame.readUInt16BE(nameStart);
  return frame[nameStart + 2 + nameLength];
};

/**
 * Wraps an accepted socket for aedes. Every inbound packet passes the frame scanner, which
 * closes this socket alone when a packet announces more than `maxPacketBytes` (before its
 * body is read) or a malformed length. Aedes 1.x speaks MQTT 3.1 and 3.1.1 only; for an
 * MQTT 5 client (protocol level 5 in CONNECT) the stream translates packets to 3.1.1 for
 * aedes and the answers back to MQTT 5 (CONNACK and SUBACK reason codes, the server's
 * Maximum Packet Size, client topic aliases resolved), so v5 devices connect, publish and
 * subscribe with the same rules.
 *
 * Once the broker sets a {@link PublishHandler}, the stream takes the device's QoS 0/1
 * publishes itself. It keeps aedes' guarantees for them: a PUBACK only after the handler
 * resolves (Kafka has the record), no PUBACK and a closed connection when it rejects, and no
 * further reading of the socket until every publish of the last chunk is handled, so a slow
 * Kafka stops socket reads instead of growing memory. Since aedes then no longer sees every
 * packet, the stream also owns the client's Keep Alive (MQTT 3.1.1 §3.1.2.10): aedes gets a
 * CONNECT with Keep Alive 0, and the stream closes a connection silent for 1.5 times the
 * client's value.
 */
export function createGuardedMqttStream(socket: Socket, options: GuardedStreamOptions): GuardedMqttStream {
  const scanner = createFrameScanner(options.maxPacketBytes);
  let version: number | undefined;
  let v5In: ReturnType<typeof mqttPacket.parser> | undefined;
  let v4Out: ReturnType<typeof mqttPacket.parser> | undefined;
  const topicAliases = new Map<number, string>();
  // Bounded by the 16-bit packet id space; an entry is taken when aedes handles the packet.
  const userProperties = new Map<number, Record<string, string | string[]>>();
  let violated = false;
  // Publishes taken by the handler and not yet answered, and their payload bytes; reading waits
  // while they reach PENDING_PUBLISHES_MAX or PENDING_BYTES_MAX.
  let pending = 0;
  let pendingBytes = 0;
  // Who holds the socket paused: aedes (its readable side is full) or unanswered publishes.
  let aedesFull = false;
  let held = false;
  let keepAlive: NodeJS.Timeout | undefined;
  // Answers are gathered until the check phase of this event-loop turn, so the PUBACKs of one
  // Kafka delivery batch leave in a single write instead of a syscall per packet. Not the next
  // tick: node-rdkafka hands each delivery report to JavaScript in its own callback scope, which
  // drains the tick queue after every report, so a tick-long wait held one PUBACK (measured: one
  // writev per message at 20 clients × window 10). Successful PUBACKs, the bulk, are queued as
  // bare packet ids and written as one buffer of 4-byte packets: no Buffer, write request and
  // writev entry per message. Other bytes (aedes' packets, refusals) keep their place in the
  // order behind the PUBACKs queued before them.
  let ackIds: number[] = [];
  let flushScheduled = false;
  const flushAcks = (): void => {
    if (ackIds.length === 0) return;
    const ids = ackIds;
    ackIds = [];
    // MQTT 3.1.1 §3.4: PUBACK = type 4, remaining length 2, packet id. The same four bytes are a
    // successful MQTT 5 PUBACK (§3.4.2.1: reason code 0 without properties may be left out).
    const out = Buffer.allocUnsafe(4 * ids.length);
    for (let i = 0, o = 0; i < ids.length; i++, o += 4) {
      const id = ids[i] as number;
      out[o] = 0x40;
      out[o + 1] = 0x02;
      out[o + 2] = id >> 8;
      out[o + 3] = id & 0xff;
    }
    if (!socket.destroyed) socket.write(out);
  };
  let corked = false;
  const flush = (): void => {
    flushScheduled = false;
    // The queued PUBACKs came before any bytes corked behind them.
    flushAcks();
    if (corked) {
      corked = false;
      socket.uncork();
    }
  };
  const schedule = (): void => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  };
  const send = (bytes: Buffer): boolean => {
    flushAcks();
    if (!corked) {
      corked = true;
      socket.cork();
      schedule();
    }
    return socket.write(bytes);
  };
  const sendPuback = (messageId: number): void => {
    ackIds.push(messageId);
    schedule();
  };

  const stream = new Duplex({
    allowHalfOpen: false,
    read() {
      aedesFull = false;
      if (!held) socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (!v4Out) {
        // Done as soon as the socket took the bytes, so the next PUBACK joins the same cork;
        // the socket's own buffer limit still holds aedes back through 'drain'.
        if (send(chunk)) callback();
        else socket.once('drain', () => callback());
        return;
      }
      v4Out.parse(chunk);
      callback();
    },
    final(callback) {
      socket.end(() => callback());
    },
    destroy(err, callback) {
      // Aedes closes right after its last answer (a refusing CONNACK): send what is corked first.
      if (flushScheduled) flush();
      socket.destroy();
      callback(err);
    },
  }) as GuardedMqttStream;
  Object.defineProperty(stream, 'protocolVersion', { get: () => version });
  stream.peerCommonName = undefined;
  stream.publishHandler = undefined;
  stream.takeUserProperties = (messageId) => {
    if (messageId === undefined) return undefined;
    const found = userProperties.get(messageId);
    userProperties.delete(messageId);
    return found;
  };

  const violation = (reason: RefusalReason, message: string): void => {
    if (violated) return;
    violated = true;
    options.onViolation?.(reason, message);
    socket.destroy();
  };

  const toAedes = (bytes: Buffer): void => {
    if (stream.push(bytes)) return;
    aedesFull = true;
    socket.pause();
  };

  // MQTT 3.1.1 and 5 §4.6: PUBACKs go out in the order their PUBLISHes came in, so an
  // acknowledgement (a refusal is immediate, an accepted message waits for Kafka) waits for
  // those of earlier QoS 1 publishes of this connection. At most one entry per unanswered
  // publish; `refusal` holds the bytes of a negative PUBACK, `messageId` that of a successful one.
  interface AckSlot {
    done: boolean;
    readonly messageId: number;
    readonly refusal: Buffer | undefined;
  }
  const acks: AckSlot[] = [];
  const ackInOrder = (slot: AckSlot): void => {
    slot.done = true;
    while (acks.length > 0 && (acks[0] as AckSlot).done) {
      const head = acks.shift() as AckSlot;
      if (socket.destroyed) continue;
      if (head.refusal) send(head.refusal);
      else sendPuback(head.messageId);
    }
  };

  const settled = (bytes: number): void => {
    pending--;
    pendingBytes -= bytes;
    if (held && pending < PENDING_PUBLISHES_MAX && pendingBytes < PENDING_BYTES_MAX) {
      held = false;
      if (!aedesFull && !socket.destroyed) socket.resume();
    }
  };

  /**
   * Runs a device publish through the handler; false when it is not one the stream takes
   * (QoS 2, or no handler yet), so it goes to aedes.
   */
  const takePublish = (
    topic: string,
    qos: number,
    messageId: number | undefined,
    payload: Buffer,
    userProps: Record<string, string | string[]> | undefined,
  ): boolean => {
    const handler = stream.publishHandler;
    if (!handler) return false;
    const decision = handler.authorize(topic);
    if (!decision.allowed) {
      if (v5In && qos > 0 && messageId !== undefined) {
        // MQTT 5 §3.4.2.1: the refused message is acknowledged with a reason code; the session goes on.
        const cmd = qos === 1 ? 'puback' : 'pubrec';
        const refusal = mqttPacket.generate({ cmd, messageId, reasonCode: publishRefusalCode(decision.reason) }, { protocolVersion: 5 });
        if (qos === 1) {
          const slot: AckSlot = { done: false, messageId, refusal };
          acks.push(slot);
          ackInOrder(slot);
        } else send(refusal);
      } else {
        // MQTT 3.1.1 has no negative PUBACK, and QoS 0 no acknowledgement: the connection is closed.
        socket.destroy();
      }
      return true;
    }
    if (qos === 2) return false;
    pending++;
    const bytes = payload.byteLength;
    pendingBytes += bytes;
    const slot: AckSlot | undefined = qos === 1 && messageId !== undefined ? { done: false, messageId, refusal: undefined } : undefined;
    if (slot) acks.push(slot);
    handler.handle({ topic, qos: qos as 0 | 1, payload, userProperties: userProps }, decision.kind, (err) => {
      if (err) {
        // No PUBACK: the device sends the message again on its next connection.
        settled(bytes);
        socket.destroy();
        return;
      }
      if (slot) ackInOrder(slot);
      settled(bytes);
    });
    return true;
  };

  const setUpV5 = (): void => {
    v5In = mqttPacket.parser({ protocolVersion: 5 });
    v5In.on('packet', (packet: Packet) => {
      const v4 = downgrade(packet);
      if (v4) toAedes(mqttPacket.generate(v4, { protocolVersion: 4 }));
    });
    v5In.on('error', (err: Error) => violation('malformed_packet', err.message));
    v4Out = mqttPacket.parser({ protocolVersion: 4 });
    v4Out.on('packet', (packet: Packet) => {
      if (socket.destroyed) return;
      send(mqttPacket.generate(upgrade(packet), { protocolVersion: 5 }));
    });
    v4Out.on('error', (err: Error) => violation('malformed_packet', err.message));
  };

  // MQTT 5 → 3.1.1 for aedes. Properties are dropped; what they change is handled here.
  const downgrade = (packet: Packet): Packet | undefined => {
    const p = { ...packet } as Packet & { properties?: Record<string, unknown>; reasonCode?: number };
    delete p.properties;
    switch (p.cmd) {
      case 'connect':
        p.protocolVersion = 4;
        watchKeepAlive(p.keepalive ?? 0);
        p.keepalive = 0;
        if (p.will) p.will = { ...p.will, properties: undefined } as typeof p.will;
        return p;
      case 'publish': {
        const props = (packet as { properties?: { topicAlias?: number; userProperties?: Record<string, string | string[]> } }).properties;
        const alias = props?.topicAlias;
        if (alias !== undefined) {
          // MQTT 5 §3.3.2.3.4: a topic alias is set by a PUBLISH with a topic and reused by
          // later PUBLISHes with an empty topic.
          if (p.topic.length > 0) topicAliases.set(alias, p.topic);
          else p.topic = topicAliases.get(alias) ?? '';
        }
        if (takePublish(p.topic, p.qos, p.messageId, p.payload as Buffer, props?.userProperties)) return undefined;
        if (props?.userProperties && p.messageId !== undefined) userProperties.set(p.messageId, props.userProperties);
        return p;
      }
      case 'subscribe':
        p.subscriptions = p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos }));
        return p;
      case 'puback':
      case 'pubrec':
      case 'pubrel':
      case 'pubcomp':
      case 'disconnect':
        delete p.reasonCode;
        return p;
      case 'auth':
        violation('malformed_packet', 'MQTT 5 enhanced authentication is not supported');
        return undefined;
      default:
        return p;
    }
  };

  // 3.1.1 from aedes → MQTT 5 for the client.
  const upgrade = (packet: Packet): Packet => {
    switch (packet.cmd) {
      case 'connack': {
        const c = packet as IConnackPacket;
        return {
          cmd: 'connack',
          sessionPresent: c.sessionPresent,
          reasonCode: connackReason[c.returnCode ?? 0] ?? 0x80,
          properties: { maximumPacketSize: options.maxPacketBytes, topicAliasMaximum: 0xffff, wildcardSubscriptionAvailable: false },
        };
      }
      case 'suback': {
        const s = packet as ISubackPacket;
        // 0x80 in 3.1.1 is "failure"; the bridge only refuses subscriptions by ACL (0x87).
        return { ...s, granted: s.granted.map((g) => (g === 0x80 ? 0x87 : g)) as number[] };
      }
      default:
        return packet;
    }
  };

  // MQTT 3.1.1 §3.1.2.10: no packet within one and a half times the Keep Alive closes the connection.
  const watchKeepAlive = (keepAliveS: number): void => {
    if (keepAliveS <= 0) return;
    keepAlive = setTimeout(() => socket.destroy(), keepAliveS * 1500);
    keepAlive.unref();
  };

  socket.on('data', (chunk: Buffer) => {
    keepAlive?.refresh();
    const heldBefore = scanner.buffered;
    const result = scanner.push(chunk);
    if (!result.ok) return violation(result.reason, result.message);
    if (result.frames.length === 0) return;
    let frames = result.frames;
    let whole = heldBefore === 0 && scanner.buffered === 0;
    if (version === undefined) {
      const first = frames[0] as Buffer;
      // MQTT 3.1.1 §3.1.0: the first packet from the client must be CONNECT.
      if ((first[0] as number) >> 4 !== 1) return violation('malformed_packet', 'first packet is not CONNECT');
      version = protocolLevelOf(first);
      if (version === 5) setUpV5();
      else {
        const taken = takeConnectKeepAlive(first);
        if (!taken) return violation('malformed_packet', 'CONNECT too short');
        watchKeepAlive(taken.keepAliveS);
        frames = [taken.frame, ...frames.slice(1)];
        whole = false;
      }
    }
    if (v5In) {
      for (const frame of frames) if (!socket.destroyed) v5In.parse(frame);
    } else {
      // Device publishes are taken here once the session is ready; the rest goes to aedes in order.
      let forward: Buffer[] | undefined;
      if (stream.publishHandler) {
        forward = [];
        for (const frame of frames) {
          if (socket.destroyed) return;
          if ((frame[0] as number) >> 4 === 3) {
            const publish = parsePublishFrame(frame);
            if (!publish) return violation('malformed_packet', 'malformed PUBLISH');
            if (takePublish(publish.topic, publish.qos, publish.messageId, publish.payload, undefined)) continue;
          }
          forward.push(frame);
        }
        if (forward.length === frames.length) forward = undefined;
      }
      if (forward) {
        if (forward.length > 0) toAedes(forward.length === 1 ? (forward[0] as Buffer) : Buffer.concat(forward));
      } else {
        // Whole packets exactly filling the chunk are the chunk itself: no copy.
        toAedes(whole ? chunk : frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
      }
    }
    // Backpressure: no further reads while this connection's unanswered publishes reach the
    // bounds, so a slow Kafka stops the socket instead of growing memory.
    if (pending >= PENDING_PUBLISHES_MAX || pendingBytes >= PENDING_BYTES_MAX) {
      held = true;
      socket.pause();
    }
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => {
    clearTimeout(keepAlive);
    stream.destroy();
  });
  socket.on('error', (err) => stream.destroy(err));
  return stream;
}
