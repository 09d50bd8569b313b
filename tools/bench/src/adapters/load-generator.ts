import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { buildTelemetry, uuidV4 } from '@zenthos/firmware-common';
import { createNodeRandom } from '@zenthos/firmware-common/host';

/** One load-generating device. */
export interface LoadDevice {
  readonly id: string;
  /** MQTT password (device token); empty for an open broker. */
  readonly token: string;
  /** Topic its messages go to. */
  readonly topic: string;
}

/** Settings of {@link runLoad}. */
export interface LoadSettings {
  readonly url: string;
  readonly model: string;
  readonly devices: readonly LoadDevice[];
  readonly messagesPerDevice: number;
  /** PUBLISHes awaiting their PUBACK per connection. */
  readonly inFlight: number;
  /** The run is cut off after this long: unacknowledged messages count as errors. Default 10 min. */
  readonly timeoutMs?: number;
  /** Called about every second with acknowledged messages so far. */
  readonly onProgress?: (acknowledged: number, errors: number) => void;
}

/** What a load run did. */
export interface LoadResult {
  readonly sent: number;
  readonly acknowledged: number;
  readonly errors: number;
  /** Epoch ms (high resolution) of the first PUBLISH and the last PUBACK. */
  readonly firstPublishMs: number;
  readonly lastAckMs: number;
  /** Publish time per message_id, epoch ms. */
  readonly publishedAt: ReadonlyMap<string, number>;
  /** PUBLISH → PUBACK of each acknowledged message, ms. */
  readonly ackLatenciesMs: readonly number[];
}

/** Epoch milliseconds with sub-millisecond resolution (same clock as Date.now). */
export const nowEpochMs = (): number => performance.timeOrigin + performance.now();

const connect = (url: string, d: LoadDevice): Promise<MqttClient> =>
  new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: d.id,
      username: d.id,
      ...(d.token ? { password: d.token } : {}),
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      protocolVersion: 4,
    });
    client.once('connect', () => resolve(client));
    client.once('error', (err) => {
      client.end(true);
      reject(err);
    });
  });

/**
 * The load generator of the benchmark: one MQTT connection per device, each publishing its
 * messages at QoS 1 with a window of `inFlight` unacknowledged PUBLISHes, as fast as the broker
 * acknowledges them. Payloads are the firmware's own telemetry (`buildTelemetry`, UUIDv4
 * `message_id`), so the bridge validates exactly what devices send. The same generator drives the
 * bridge and the raw Mosquitto baseline.
 */
export async function runLoad(settings: LoadSettings): Promise<LoadResult> {
  const random = createNodeRandom();
  const clients = await Promise.all(settings.devices.map((d) => connect(settings.url, d)));
  const publishedAt = new Map<string, number>();
  const ackLatenciesMs: number[] = [];
  let sent = 0;
  let acknowledged = 0;
  let errors = 0;
  let firstPublishMs = Number.POSITIVE_INFINITY;
  let lastAckMs = 0;
  const ticker = setInterval(() => settings.onProgress?.(acknowledged, errors), 1_000);
  // Bounded: a broker that stops acknowledging must not hang the benchmark. Ending the clients
  // rejects the publishes still waiting for their PUBACK.
  const cutOff = setTimeout(() => {
    for (const c of clients) c.end(true);
  }, settings.timeoutMs ?? 600_000);

  const runDevice = async (client: MqttClient, device: LoadDevice): Promise<void> => {
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < settings.messagesPerDevice && !client.disconnecting && !client.disconnected) {
        next++;
        const messageId = uuidV4(random);
        const nowMs = Date.now();
        const { payload } = buildTelemetry({
          identity: { deviceId: device.id, deviceModel: settings.model },
          messageId,
          nowMs,
          sensors: { temperature: 20 + (next % 100) / 10, humidity: 40 + (next % 200) / 10 },
          firmwareVersion: 'v0.1.0',
          modelVersion: undefined,
        });
        const body = Buffer.from(JSON.stringify(payload));
        const t = nowEpochMs();
        if (t < firstPublishMs) firstPublishMs = t;
        publishedAt.set(messageId, t);
        sent++;
        try {
          await client.publishAsync(device.topic, body, { qos: 1 });
          acknowledged++;
          lastAckMs = nowEpochMs();
          ackLatenciesMs.push(lastAckMs - t);
        } catch {
          errors++;
          publishedAt.delete(messageId);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.inFlight, settings.messagesPerDevice) }, one));
  };

  try {
    await Promise.all(clients.map((c, i) => runDevice(c, settings.devices[i] as LoadDevice)));
  } finally {
    clearInterval(ticker);
    clearTimeout(cutOff);
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
  settings.onProgress?.(acknowledged, errors);
  return { sent, acknowledged, errors, firstPublishMs, lastAckMs, publishedAt, ackLatenciesMs };
}
