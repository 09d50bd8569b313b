// A minimal MQTT QoS 1 subscriber over node:net for the benchmarks' Mosquitto baselines: it
// counts what the broker delivers without a client library's per-message objects and events, so
// a baseline measures the broker rather than the subscriber in the benchmark's process.
import { ZenthosError } from '@zenthos/core';
import { openConnection, parseMqttUrl } from './mqtt-connection';
import {
  DISCONNECT,
  PINGREQ,
  createPacketReader,
  decodeSuback,
  encodeSubscribe,
  packetTypes,
  readPublish,
  writePuback,
  type MqttProtocolVersion,
} from './mqtt-packets';

/** Settings of {@link startSubscriber}. */
export interface SubscriberSettings {
  /** `mqtt://host:port` (or `tcp://`). */
  readonly url: string;
  readonly clientId: string;
  /** One topic filter, subscribed at QoS 1. */
  readonly topicFilter: string;
  readonly protocolVersion?: MqttProtocolVersion;
  /** Default 60 s; a PINGREQ goes out after half of it without a write. */
  readonly keepAliveS?: number;
  /** TCP + CONNACK + SUBACK within this long; default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Each delivered message: its payload is `buf[start, end)`, valid only during the call. */
  readonly onMessage: (buf: Buffer, start: number, end: number) => void;
}

/** A running subscriber. */
export interface MqttSubscriber {
  /** Messages delivered so far. */
  readonly received: number;
  /** Sends DISCONNECT and closes the connection. */
  close(): Promise<void>;
}

const SUBSCRIBE_PACKET_ID = 1;

/**
 * Connects (clean session), subscribes to `topicFilter` at QoS 1 and resolves once the SUBACK
 * granted it (a refused subscription rejects with ZEN_MQTT_NOT_AUTHORIZED). Every QoS 1 message
 * is acknowledged (MQTT 3.1.1 §4.3.2); the PUBACKs of one read leave in one write.
 */
export async function startSubscriber(settings: SubscriberSettings): Promise<MqttSubscriber> {
  const version = settings.protocolVersion ?? 4;
  const keepAliveS = settings.keepAliveS ?? 60;
  const timeoutMs = settings.connectTimeoutMs ?? 30_000;
  const { socket, receive } = await openConnection(parseMqttUrl(settings.url), {
    clientId: settings.clientId,
    keepAliveS,
    protocolVersion: version,
    timeoutMs,
    // Deliveries are a few hundred bytes each: read many per call.
    readBufferBytes: 64 * 1024,
  });
  let received = 0;
  let lastWriteMs = Date.now();
  // PUBACKs owed for the read being handled, written once it is done.
  let acks = Buffer.allocUnsafe(4 * 256);
  let ackBytes = 0;
  let subscribed: ((error?: Error) => void) | undefined;
  const granted = new Promise<void>((resolve, reject) => {
    subscribed = (error) => (error ? reject(error) : resolve());
  });

  const reader = createPacketReader((type, flags, buf, start, end) => {
    if (type === packetTypes.publish) {
      const p = readPublish(buf, start, end, flags, version);
      received++;
      settings.onMessage(buf, p.payloadStart, end);
      if (p.qos === 1) {
        if (ackBytes + 4 > acks.length) {
          const bigger = Buffer.allocUnsafe(acks.length * 2);
          acks.copy(bigger, 0, 0, ackBytes);
          acks = bigger;
        }
        ackBytes = writePuback(acks, ackBytes, p.packetId);
      }
    } else if (type === packetTypes.suback) {
      const suback = decodeSuback(buf, start, end, version);
      const code = suback.returnCodes[0];
      if (suback.packetId !== SUBSCRIBE_PACKET_ID || code === undefined) {
        subscribed?.(new ZenthosError('ZEN_DECODE_FAILED', `unexpected SUBACK for packet identifier ${suback.packetId}`));
      } else if (code >= 0x80) {
        subscribed?.(
          new ZenthosError(
            'ZEN_MQTT_NOT_AUTHORIZED',
            `SUBSCRIBE of ${settings.clientId} to ${settings.topicFilter} refused: return code 0x${code.toString(16)}`,
          ),
        );
      } else {
        subscribed?.();
      }
    }
  });
  let closed = false;
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('close', () => {
    closed = true;
    subscribed?.(new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `${settings.url} closed the subscription of ${settings.clientId}`, true));
  });
  receive((buf, length) => {
    try {
      reader.push(buf, length);
    } catch (err) {
      socket.destroy(err as Error);
      return;
    }
    if (ackBytes > 0) {
      // Copied out: the PUBACK buffer is reused for the next read while this write may wait.
      socket.write(Buffer.from(acks.subarray(0, ackBytes)));
      ackBytes = 0;
      lastWriteMs = Date.now();
    }
  });
  // MQTT 3.1.1 §3.1.2.10: something must be sent within every Keep Alive period.
  const pinger =
    keepAliveS > 0
      ? setInterval(
          () => {
            if (!closed && Date.now() - lastWriteMs >= (keepAliveS * 1000) / 2) {
              lastWriteMs = Date.now();
              socket.write(PINGREQ);
            }
          },
          Math.max(250, (keepAliveS * 1000) / 4),
        )
      : undefined;
  pinger?.unref();

  socket.write(encodeSubscribe(SUBSCRIBE_PACKET_ID, settings.topicFilter, 1, version));
  const timer = setTimeout(
    () => subscribed?.(new ZenthosError('ZEN_TIMEOUT', `no SUBACK for ${settings.clientId} within ${timeoutMs} ms`, true)),
    timeoutMs,
  );
  try {
    await granted;
  } catch (err) {
    if (pinger) clearInterval(pinger);
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
    subscribed = undefined;
  }

  return {
    get received() {
      return received;
    },
    async close() {
      if (pinger) clearInterval(pinger);
      if (!closed) {
        socket.end(DISCONNECT);
        const timer = setTimeout(() => socket.destroy(), 2_000);
        await ended;
        clearTimeout(timer);
      }
    },
  };
}
