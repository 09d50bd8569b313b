import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import mqttPacket, { type IConnackPacket, type ISubackPacket, type Packet } from 'mqtt-packet';
import type { RefusalReason } from '../errors';
import { createFrameScanner } from '../domain/mqtt-frames';

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
   * The publish ACL, set by the broker once the client is authenticated: undefined when the
   * topic is allowed, else why not (the broker counts the refusal). An MQTT 5 QoS 1/2 PUBLISH
   * it refuses is answered here with a negative PUBACK/PUBREC and never reaches aedes, so the
   * connection stays (MQTT 5 §3.4.2.1); aedes, which speaks 3.1.1, could only close it.
   */
  authorizePublish: ((topic: string) => RefusalReason | undefined) | undefined;
}

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
  // Aedes writes every PUBACK on its own; corking until the check phase of this event-loop turn
  // turns the answers of one Kafka delivery batch into a single writev instead of a syscall per
  // packet. Not the next tick: node-rdkafka hands each delivery report to JavaScript in its own
  // callback scope, which drains the tick queue after every report, so a tick-long cork held
  // one PUBACK (measured: one writev per message at 20 clients × window 10).
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const send = (bytes: Buffer): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return socket.write(bytes);
  };

  const stream = new Duplex({
    allowHalfOpen: false,
    read() {
      socket.resume();
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
      if (corked) uncork();
      socket.destroy();
      callback(err);
    },
  }) as GuardedMqttStream;
  Object.defineProperty(stream, 'protocolVersion', { get: () => version });
  stream.peerCommonName = undefined;
  stream.authorizePublish = undefined;
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
    if (!stream.push(bytes)) socket.pause();
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
        // MQTT 5 §3.4.2.1: a refused QoS 1/2 message gets its acknowledgement with a reason code
        // and the session goes on. QoS 0 has no acknowledgement: aedes refuses it as for 3.1.1.
        const refused = p.qos > 0 ? stream.authorizePublish?.(p.topic) : undefined;
        if (refused !== undefined) {
          const cmd = p.qos === 1 ? 'puback' : 'pubrec';
          send(mqttPacket.generate({ cmd, messageId: p.messageId, reasonCode: publishRefusalCode(refused) }, { protocolVersion: 5 }));
          return undefined;
        }
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

  socket.on('data', (chunk: Buffer) => {
    const heldBefore = scanner.buffered;
    const result = scanner.push(chunk);
    if (!result.ok) return violation(result.reason, result.message);
    if (result.frames.length === 0) return;
    if (version === undefined) {
      const first = result.frames[0] as Buffer;
      // MQTT 3.1.1 §3.1.0: the first packet from the client must be CONNECT.
      if ((first[0] as number) >> 4 !== 1) return violation('malformed_packet', 'first packet is not CONNECT');
      version = protocolLevelOf(first);
      if (version === 5) setUpV5();
    }
    if (v5In) {
      for (const frame of result.frames) v5In.parse(frame);
    } else {
      // Whole packets exactly filling the chunk are the chunk itself: no copy.
      const whole = heldBefore === 0 && scanner.buffered === 0;
      toAedes(whole ? chunk : result.frames.length === 1 ? (result.frames[0] as Buffer) : Buffer.concat(result.frames));
    }
  });
  socket.on('end', () => stream.push(null));
  socket.on('close', () => stream.destroy());
  socket.on('error', (err) => stream.destroy(err));
  return stream;
}
