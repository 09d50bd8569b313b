// A lean MQTT QoS 1 load generator over node:net for the benchmarks: one connection per device,
// a window of unacknowledged PUBLISHes per connection, the firmware's telemetry payloads. It
// replaces mqtt.js there, whose per-message promises, packet objects and stream writes cost the
// benchmark 0.03 ms of CPU per message on the machine it measures (see tools/bench/README.md).
import { randomFillSync } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  DISCONNECT,
  PINGREQ,
  createPacketIds,
  createPacketReader,
  decodePuback,
  encodePublishQos1,
  packetTypes,
  type MqttProtocolVersion,
  type PacketIds,
} from './mqtt-packets';
import { openConnection, parseMqttUrl, type OpenConnection } from './mqtt-connection';
import { createPacer, defaultMaxBurst, type Pacer } from './pacing';
import { formatUuidV4, telemetryTemplate, writeEpochSeconds, writeUuidV4 } from './telemetry-template';

/** One load-generating device. */
export interface LoadDevice {
  /** Client id, MQTT user name and the payload's device_id. */
  readonly id: string;
  /** MQTT password (device token); empty for an open broker (then no password is sent). */
  readonly token: string;
  /** Topic its messages go to. */
  readonly topic: string;
}

/** Settings of {@link runLoad}. */
export interface LoadSettings {
  /** `mqtt://host:port` (or `tcp://`); port 1883 when absent. */
  readonly url: string;
  /** The payload's device_model. */
  readonly model: string;
  readonly devices: readonly LoadDevice[];
  readonly messagesPerDevice: number;
  /** PUBLISHes awaiting their PUBACK per connection. */
  readonly inFlight: number;
  /**
   * Aggregate messages per second over all devices; absent: unpaced (each connection publishes
   * as fast as its window of `inFlight` allows). Paced, each device publishes at
   * rate / devices per second, the devices' schedules staggered (see pacing.ts), and the window
   * still applies.
   */
  readonly ratePerSecond?: number;
  /** Paced runs: the period of the one timer that releases what is due, ms; default 2. */
  readonly tickMs?: number;
  /** Paced runs: most messages a device releases at once when behind; default {@link defaultMaxBurst}. */
  readonly maxBurst?: number;
  /** MQTT 3.1.1 (4, default) or 5. */
  readonly protocolVersion?: MqttProtocolVersion;
  /** Keep Alive of the connections, seconds; default 60. A PINGREQ goes out after half of it without a write. */
  readonly keepAliveS?: number;
  /** How long a connection may take to be accepted (TCP + CONNACK); default 30 s. */
  readonly connectTimeoutMs?: number;
  /** The run is cut off after this long: unacknowledged messages count as errors. Default 10 min. */
  readonly timeoutMs?: number;
  /** Called about every second with acknowledged messages so far. */
  readonly onProgress?: (acknowledged: number, errors: number) => void;
}

/** What a load run did. */
export interface LoadResult {
  readonly sent: number;
  readonly acknowledged: number;
  /** PUBLISHes that got no PUBACK (connection lost, cut off) or a refusing one (MQTT 5 reason ≥ 0x80). */
  readonly errors: number;
  /** Why the first connection ended early or the first PUBLISH failed, when one did. */
  readonly firstError?: string;
  /** Epoch ms (high resolution) of the first PUBLISH and the last PUBACK. */
  readonly firstPublishMs: number;
  readonly lastAckMs: number;
  /** Epoch ms of the last PUBLISH written. */
  readonly lastPublishMs: number;
  /** How a paced run was paced; absent when unpaced. */
  readonly pacing?: LoadPacing;
  /** Publish time (epoch ms) per message_id of every acknowledged message; built on first use. */
  readonly publishedAt: ReadonlyMap<string, number>;
  /** PUBLISH → PUBACK of each acknowledged message, ms. */
  readonly ackLatenciesMs: readonly number[];
}

/** The pacing of a paced run ({@link LoadSettings.ratePerSecond}). */
export interface LoadPacing {
  readonly ratePerSecond: number;
  /** Between two messages of one device, ms. */
  readonly intervalMs: number;
  readonly tickMs: number;
  readonly maxBurst: number;
  /** Schedule slots skipped because a device was more than maxBurst messages behind (window full or the generator late). */
  readonly skippedSlots: number;
}

/** Epoch milliseconds with sub-millisecond resolution (same clock as Date.now). */
export const nowEpochMs = (): number => performance.timeOrigin + performance.now();

/** Sensor readings of the payloads: a few variants per device so values move like a device's. */
const SENSOR_VARIANTS = 8;
const sensorsOf = (variant: number): Record<string, number> => ({
  temperature: 20 + ((variant * 7) % 100) / 10,
  humidity: 40 + ((variant * 13) % 200) / 10,
});

/** A device's PUBLISH packets: one template per sensor variant, with where the per-message bytes go. */
interface PublishTemplate {
  readonly packet: Buffer;
  readonly packetIdAt: number;
  readonly messageIdAt: number;
  readonly timestampAt: number;
}

const publishTemplates = (device: LoadDevice, model: string, version: MqttProtocolVersion): PublishTemplate[] =>
  Array.from({ length: SENSOR_VARIANTS }, (_, v) => {
    const t = telemetryTemplate({
      identity: { deviceId: device.id, deviceModel: model },
      sensors: sensorsOf(v),
      firmwareVersion: 'v0.1.0',
      modelVersion: undefined,
    });
    const p = encodePublishQos1(device.topic, t.payload, version);
    return {
      packet: p.template,
      packetIdAt: p.packetIdOffset,
      messageIdAt: p.payloadOffset + t.messageIdOffset,
      timestampAt: p.payloadOffset + t.timestampOffset,
    };
  });

/** Random bytes for message ids, drawn from the OS in blocks rather than 16 bytes per message. */
const createRandomPool = (blockBytes = 16 * 1024): { take16(): number; readonly bytes: Buffer } => {
  const bytes = Buffer.allocUnsafe(blockBytes);
  let at = blockBytes;
  return {
    bytes,
    take16() {
      if (at + 16 > blockBytes) {
        randomFillSync(bytes);
        at = 0;
      }
      const from = at;
      at += 16;
      return from;
    },
  };
};

/** One device's connection and its share of the run. */
interface Connection {
  readonly index: number;
  readonly device: LoadDevice;
  readonly socket: Socket;
  readonly templates: PublishTemplate[];
  /** Packet identifier → index of the message (in the run's arrays) it carries. */
  readonly ids: PacketIds<number>;
  /** Messages of this device written so far. */
  next: number;
  /** Messages of this device acknowledged or failed. */
  settled: number;
  lastWriteMs: number;
  closed: boolean;
}

/**
 * The benchmarks' load generator: one MQTT connection per device, each publishing its messages
 * at QoS 1 with a window of `inFlight` unacknowledged PUBLISHes, as fast as the broker
 * acknowledges them. Payloads are the firmware's own telemetry (`buildTelemetry` once per device
 * and sensor variant, a fresh UUIDv4 `message_id` and the current `timestamp` written into each
 * message), so a bridge validates exactly what devices send. The PUBLISHes a connection can send
 * in one event-loop turn leave as one buffer in one write; the publish time of each message is
 * taken just before that write. Every connection is opened (CONNACK checked) before the first
 * PUBLISH; at the end each sends DISCONNECT. The whole run is cut off after `timeoutMs`.
 *
 * With `ratePerSecond` each device instead publishes on a schedule (rate / devices per second,
 * the devices' first messages spread over one interval): one interval timer of `tickMs` releases
 * what fell due, a PUBACK releases what a full window held back, and a device more than
 * `maxBurst` messages behind skips the older slots (counted in `pacing.skippedSlots`).
 */
export async function runLoad(settings: LoadSettings): Promise<LoadResult> {
  const version = settings.protocolVersion ?? 4;
  const keepAliveS = settings.keepAliveS ?? 60;
  const perDevice = settings.messagesPerDevice;
  const window = Math.max(1, Math.min(settings.inFlight, 65_535));
  const address = parseMqttUrl(settings.url);
  const total = settings.devices.length * perDevice;
  if (settings.ratePerSecond !== undefined && !(settings.ratePerSecond > 0 && Number.isFinite(settings.ratePerSecond))) {
    throw new ZenthosError('ZEN_BAD_REQUEST', `load rate must be a positive number of messages per second, got ${settings.ratePerSecond}`);
  }

  const opened = await Promise.allSettled(
    settings.devices.map((d) =>
      openConnection(address, {
        clientId: d.id,
        username: d.id,
        password: d.token,
        keepAliveS,
        protocolVersion: version,
        timeoutMs: settings.connectTimeoutMs ?? 30_000,
      }),
    ),
  );
  const refused = opened.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (refused) {
    for (const s of opened) if (s.status === 'fulfilled') s.value.socket.destroy();
    throw refused.reason;
  }

  // Per message of the run (device index × messages per device + sequence number): its id's
  // random bytes and its publish time. Typed arrays, not objects: no garbage per message.
  const idBytes = Buffer.allocUnsafe(total * 16);
  const publishedMs = new Float64Array(total);
  const ackedFlags = new Uint8Array(total);
  const ackLatencies = new Float64Array(total);
  let acknowledged = 0;
  let errors = 0;
  let sent = 0;
  let firstError: string | undefined;
  let firstPublishMs = Number.POSITIVE_INFINITY;
  let lastPublishMs = 0;
  let lastAckMs = 0;
  const tickMs = Math.max(1, settings.tickMs ?? 2);
  const paced = settings.ratePerSecond !== undefined;
  let pacer: Pacer | undefined;
  let maxBurst = 0;
  const random = createRandomPool();
  const scratch: number[] = [];

  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let open = 0;

  const settle = (c: Connection): void => {
    if (!c.closed && c.settled >= perDevice) {
      c.closed = true;
      c.socket.end(DISCONNECT);
      if (--open === 0) finish();
    }
  };

  const fill = (c: Connection): void => {
    let room = Math.min(window - c.ids.inFlight, perDevice - c.next);
    if (room <= 0 || c.closed) return;
    if (paced) {
      // Before the schedule starts (connections still being set up) nothing is due.
      if (pacer === undefined) return;
      room = pacer.take(c.index, performance.now(), room);
      if (room === 0) return;
    }
    let bytes = 0;
    for (let k = 0; k < room; k++) bytes += (c.templates[(c.next + k) % SENSOR_VARIANTS] as PublishTemplate).packet.length;
    // A fresh buffer per write: the socket may still hold the previous one.
    const out = Buffer.allocUnsafe(bytes);
    const nowMs = Date.now();
    let at = 0;
    scratch.length = 0;
    for (let k = 0; k < room; k++) {
      const seq = c.next++;
      const message = c.index * perDevice + seq;
      const t = c.templates[seq % SENSOR_VARIANTS] as PublishTemplate;
      t.packet.copy(out, at);
      const id = c.ids.take(message);
      out[at + t.packetIdAt] = id >> 8;
      out[at + t.packetIdAt + 1] = id & 0xff;
      const from = random.take16();
      random.bytes.copy(idBytes, message * 16, from, from + 16);
      writeUuidV4(random.bytes, from, out, at + t.messageIdAt);
      writeEpochSeconds(nowMs, out, at + t.timestampAt);
      at += t.packet.length;
      scratch.push(message);
    }
    const t = nowEpochMs();
    for (const message of scratch) publishedMs[message] = t;
    if (t < firstPublishMs) firstPublishMs = t;
    lastPublishMs = t;
    sent += room;
    c.lastWriteMs = nowMs;
    c.socket.write(out);
  };

  const fail = (c: Connection, reason: string): void => {
    firstError ??= `${c.device.id}: ${reason}`;
  };

  const connections: Connection[] = opened.map((s, index) => {
    const { socket, receive } = (s as PromiseFulfilledResult<OpenConnection>).value;
    const c: Connection = {
      index,
      device: settings.devices[index] as LoadDevice,
      socket,
      templates: publishTemplates(settings.devices[index] as LoadDevice, settings.model, version),
      ids: createPacketIds<number>(),
      next: 0,
      settled: 0,
      lastWriteMs: Date.now(),
      closed: false,
    };
    const reader = createPacketReader((type, _flags, buf, start, end) => {
      if (type === packetTypes.puback) {
        const { packetId, reasonCode } = decodePuback(buf, start, end);
        const message = c.ids.release(packetId);
        if (message === undefined) {
          fail(c, `PUBACK for packet identifier ${packetId}, which is not in flight`);
          return;
        }
        c.settled++;
        if (reasonCode >= 0x80) {
          // MQTT 5 §3.4.2.1: the server refused the message.
          errors++;
          fail(c, `PUBACK reason code 0x${reasonCode.toString(16)}`);
          return;
        }
        const t = nowEpochMs();
        ackedFlags[message] = 1;
        ackLatencies[acknowledged++] = t - (publishedMs[message] as number);
        lastAckMs = t;
      } else if (type !== packetTypes.pingresp) {
        fail(c, `unexpected packet type ${type}`);
      }
    });
    receive((buf, length) => {
      try {
        reader.push(buf, length);
      } catch (err) {
        fail(c, (err as Error).message);
        socket.destroy();
        return;
      }
      // Refill the window once per chunk: the PUBLISHes freed by all its PUBACKs go in one write.
      fill(c);
      settle(c);
    });
    socket.on('error', (err) => fail(c, err.message));
    if (socket.destroyed) {
      fail(c, 'connection closed before the first PUBLISH');
      c.closed = true;
    }
    socket.on('close', () => {
      if (c.settled < perDevice) {
        // Whatever was in flight is lost; what was never sent is not counted as sent.
        errors += c.ids.inFlight;
        c.settled = perDevice;
        fail(c, 'connection closed before every message was acknowledged');
      }
      if (!c.closed) {
        c.closed = true;
        if (--open === 0) finish();
      }
    });
    return c;
  });
  open = connections.filter((c) => !c.closed).length;

  const ticker = setInterval(() => settings.onProgress?.(acknowledged, errors), 1_000);
  // MQTT 3.1.1 §3.1.2.10: the client must send something within every Keep Alive period; a
  // connection whose window is full waits for PUBACKs and writes nothing meanwhile.
  const pinger =
    keepAliveS > 0
      ? setInterval(
          () => {
            const now = Date.now();
            for (const c of connections) {
              if (!c.closed && now - c.lastWriteMs >= (keepAliveS * 1000) / 2) {
                c.lastWriteMs = now;
                c.socket.write(PINGREQ);
              }
            }
          },
          Math.max(250, (keepAliveS * 1000) / 4),
        )
      : undefined;
  // A broker that stops acknowledging must not hang the benchmark: cut every connection off.
  const cutOff = setTimeout(() => {
    firstError ??= `cut off after ${settings.timeoutMs ?? 600_000} ms`;
    for (const c of connections) c.socket.destroy();
  }, settings.timeoutMs ?? 600_000);

  // Paced: one timer for all connections releases what fell due since its last tick (a timer per
  // message would cost more CPU than the PUBLISH); PUBACKs release what a full window held back.
  let pace: NodeJS.Timeout | undefined;
  if (paced) {
    const devices = Math.max(1, connections.length);
    const intervalMs = (devices * 1000) / (settings.ratePerSecond as number);
    maxBurst = Math.max(1, Math.floor(settings.maxBurst ?? defaultMaxBurst(intervalMs)));
    pacer = createPacer({ ratePerSecond: settings.ratePerSecond as number, devices, startMs: performance.now(), maxBurst });
    pace = setInterval(() => {
      for (const c of connections) fill(c);
    }, tickMs);
  }

  try {
    if (perDevice === 0) for (const c of connections) settle(c);
    if (open === 0) finish();
    for (const c of connections) fill(c);
    await finished;
  } finally {
    if (pace) clearInterval(pace);
    clearInterval(ticker);
    if (pinger) clearInterval(pinger);
    clearTimeout(cutOff);
    // DISCONNECT was written with end(); give the broker a moment to close, then let go.
    await Promise.all(
      connections.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.destroyed) return resolve();
            const timer = setTimeout(() => {
              c.socket.destroy();
              resolve();
            }, 2_000);
            c.socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
  settings.onProgress?.(acknowledged, errors);

  let published: Map<string, number> | undefined;
  const latencies = Array.from(ackLatencies.subarray(0, acknowledged));
  return {
    sent,
    acknowledged,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    firstPublishMs,
    lastAckMs,
    lastPublishMs,
    ...(pacer !== undefined
      ? {
          pacing: {
            ratePerSecond: settings.ratePerSecond as number,
            intervalMs: pacer.intervalMs,
            tickMs,
            maxBurst,
            skippedSlots: pacer.skipped,
          },
        }
      : {}),
    get publishedAt(): ReadonlyMap<string, number> {
      if (!published) {
        published = new Map();
        for (let m = 0; m < total; m++) if (ackedFlags[m] === 1) published.set(formatUuidV4(idBytes, m * 16), publishedMs[m] as number);
      }
      return published;
    },
    ackLatenciesMs: latencies,
  };
}
