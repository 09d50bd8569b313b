import MQTTClient, { type WriteOptions } from 'embedded:network/mqtt/client';
import Timer, { type TimerHandle } from 'timer';
import type { MqttEvents, MqttPort } from 'zenthos/domain/ports';

/** Broker connection settings. */
export interface ModdableMqttSettings {
  readonly host: string;
  readonly port?: number;
  readonly clientId: string;
  /** DESIGN.md: username = device id, password = device token. */
  readonly user?: string;
  readonly password?: string;
  readonly keepaliveMs?: number;
  readonly reconnectDelayMs?: number;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * MqttPort over the Moddable ECMA-419 MQTT client. The older `mqtt` module sends QoS 0 only, so
 * it cannot tell when the broker owns a message; this client reports PUBACK with the packet id we
 * choose, which settles the matching publish promise. Packets that do not fit the socket's
 * writable space wait in `outbox` until `onWritable`.
 */
export const createModdableMqtt = (settings: ModdableMqttSettings): MqttPort => {
  let client: MQTTClient | undefined;
  let events: MqttEvents | undefined;
  let connected = false;
  let stopped = false;
  let reconnect: TimerHandle | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const outbox: { data: ArrayBuffer | null; options: WriteOptions }[] = [];
  let incoming: { topic: string; parts: ArrayBuffer[] } | undefined;

  const takeId = (): number => {
    // Packet identifiers are 1..65535 and must not collide with one still awaiting its PUBACK.
    do nextId = (nextId % 65535) + 1;
    while (pending.has(nextId));
    return nextId;
  };

  const flushOutbox = (): void => {
    while (client && connected && outbox.length > 0) {
      try {
        client.write(outbox[0]!.data, outbox[0]!.options);
      } catch {
        return; // overflow: wait for onWritable
      }
      outbox.shift();
    }
  };

  const failAll = (reason: string): void => {
    for (const p of pending.values()) p.reject(new Error(reason));
    pending.clear();
    outbox.length = 0;
  };

  const dropped = (reason: string): void => {
    const was = connected;
    connected = false;
    try {
      client?.close();
    } catch {
      // already closed
    }
    client = undefined;
    failAll(reason);
    if (was) events?.onDisconnected(reason);
    if (!stopped) reconnect = Timer.set(connect, settings.reconnectDelayMs ?? 5_000);
  };

  const connect = (): void => {
    reconnect = undefined;
    const io = device.network.mqtt;
    client = new io.io({
      dns: io.dns,
      socket: io.socket,
      host: settings.host,
      port: settings.port ?? 1883,
      id: settings.clientId,
      ...(settings.user ? { user: settings.user } : {}),
      ...(settings.password ? { password: settings.password } : {}),
      keepalive: settings.keepaliveMs ?? 60_000,
      clean: true,
      onControl(message) {
        if (message.operation === MQTTClient.CONNACK) {
          if (message.returnCode) return dropped(`CONNACK refused (${message.returnCode})`);
          connected = true;
          events?.onConnected();
          flushOutbox();
        } else if (message.operation === MQTTClient.PUBACK && message.id !== undefined) {
          const p = pending.get(message.id);
          pending.delete(message.id);
          p?.resolve();
        }
      },
      onReadable(count, options) {
        if (options.topic !== undefined) incoming = { topic: options.topic, parts: [] };
        const part = this.read(count);
        incoming?.parts.push(part);
        if (!options.more && incoming) {
          let total = 0;
          for (const p of incoming.parts) total += p.byteLength;
          const payload = new Uint8Array(total);
          let offset = 0;
          for (const p of incoming.parts) {
            payload.set(new Uint8Array(p), offset);
            offset += p.byteLength;
          }
          const topic = incoming.topic;
          incoming = undefined;
          events?.onMessage(topic, payload);
        }
      },
      onWritable() {
        flushOutbox();
      },
      onClose() {
        dropped('closed');
      },
      onError(error) {
        dropped(`error ${String(error ?? '')}`);
      },
    });
  };

  const copy = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

  return {
    start(e) {
      events = e;
      stopped = false;
      connect();
    },
    stop() {
      stopped = true;
      Timer.clear(reconnect);
      try {
        if (connected) client?.write(null, { operation: MQTTClient.DISCONNECT });
        client?.close();
      } catch {
        // closing anyway
      }
      connected = false;
      client = undefined;
      failAll('stopped');
    },
    publish(topic, payload, options) {
      if (!client || !connected) return Promise.reject(new Error('not connected'));
      if (options.qos === 0) {
        outbox.push({ data: copy(payload), options: { topic, QoS: 0, ...(options.retain ? { retain: true } : {}) } });
        flushOutbox();
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const id = takeId();
        pending.set(id, { resolve, reject });
        outbox.push({ data: copy(payload), options: { topic, QoS: 1, id, ...(options.retain ? { retain: true } : {}) } });
        flushOutbox();
      });
    },
    subscribe(topic, options) {
      if (!client || !connected) return Promise.reject(new Error('not connected'));
      outbox.push({ data: null, options: { operation: MQTTClient.SUBSCRIBE, items: [{ topic, QoS: options.qos }] } });
      flushOutbox();
      return Promise.resolve();
    },
  };
};
