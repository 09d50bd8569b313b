import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { MqttPort } from '../domain/ports';

/** Broker connection settings of {@link createMqttJsPort}. */
export interface MqttJsSettings {
  /** e.g. `mqtt://localhost:1883` or `mqtts://broker:8883`. */
  readonly url: string;
  readonly clientId: string;
  /** DESIGN.md: username = device id, password = device token. */
  readonly username?: string;
  readonly password?: string;
  readonly reconnectPeriodMs?: number;
  readonly connectTimeoutMs?: number;
  /** Extra mqtt.js options (TLS material, keepalive, protocol version). */
  readonly options?: IClientOptions;
}

/**
 * MqttPort over mqtt.js for the host simulator. `publishAsync` at QoS 1 resolves on the PUBACK.
 * A QoS 1 message in flight when the connection drops stays in mqtt.js's outgoing store and is
 * resent by mqtt.js after the reconnect, so its promise settles then; the device only resends
 * what it never handed over, and nothing is published twice by the two layers.
 */
export const createMqttJsPort = (settings: MqttJsSettings): MqttPort & { readonly client: () => MqttClient | undefined } => {
  let client: MqttClient | undefined;
  return {
    client: () => client,
    start(events) {
      client = mqtt.connect(settings.url, {
        clientId: settings.clientId,
        ...(settings.username === undefined ? {} : { username: settings.username }),
        ...(settings.password === undefined ? {} : { password: settings.password }),
        clean: true,
        reconnectPeriod: settings.reconnectPeriodMs ?? 1_000,
        connectTimeout: settings.connectTimeoutMs ?? 10_000,
        // The device buffers while offline; mqtt.js must not keep a second, unbounded queue.
        queueQoSZero: false,
        ...settings.options,
      });
      client.on('connect', () => events.onConnected());
      client.on('close', () => events.onDisconnected('closed'));
      client.on('message', (topic, payload) =>
        events.onMessage(topic, new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)),
      );
      // Errors surface as 'close' too; the listener keeps mqtt.js from throwing them.
      client.on('error', () => undefined);
    },
    async stop() {
      const c = client;
      client = undefined;
      await c?.endAsync(true);
    },
    async publish(topic, payload, options) {
      if (!client?.connected) throw new Error('not connected');
      await client.publishAsync(topic, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), {
        qos: options.qos,
        ...(options.retain ? { retain: true } : {}),
      });
    },
    async subscribe(topic, options) {
      if (!client) throw new Error('not started');
      await client.subscribeAsync(topic, { qos: options.qos });
    },
  };
};
