import type { ClockPort, MqttPort } from './ports';
import { createOfflineBuffer, type QueuedMessage } from './offline-buffer';

/** Live counters of the device's publishing, read by the simulator's progress line. */
export interface PublishCounters {
  /** PUBLISH packets handed to the MQTT port (a resend counts again). */
  sent: number;
  /** Messages the broker acknowledged (PUBACK), each counted once. */
  acknowledged: number;
  /** Failed publishes, sensor reads, checks and other counted errors. */
  errors: number;
  /** Messages waiting in the offline buffer. */
  buffered: number;
  /** Messages dropped because the offline buffer was full. */
  dropped: number;
  /** Messages published and not acknowledged yet. */
  inFlight: number;
}

/** Settings of {@link createPublisher}. */
export interface PublisherSettings {
  readonly maxBufferedMessages: number;
  /** How many QoS 1 messages may await their PUBACK at once. */
  readonly maxInFlight: number;
  /** Pause after a failed publish while the connection still looks up. */
  readonly retryDelayMs: number;
}

/** Publishes QoS 1 messages in order, buffering them while offline. */
export interface Publisher {
  /** Queues a message; it goes out as soon as the connection allows. */
  enqueue(topic: string, payload: Uint8Array): void;
  /** Connection state changes, forwarded from the MQTT port's events. */
  handleConnected(): void;
  handleDisconnected(): void;
  readonly connected: boolean;
  /** Resolves once nothing is buffered or in flight (or after `timeoutMs`, resolving `false`). */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops retry timers. */
  close(): void;
}

/**
 * Creates the publisher. Every message is QoS 1 and owned by the device until the broker's PUBACK
 * (MQTT 3.1.1 §4.3.2), so a message whose publish fails goes back into the buffer at its original
 * place and is sent again after the reconnect: resends keep the order in which messages were made.
 */
export const createPublisher = (
  ports: { mqtt: MqttPort; clock: ClockPort; log?: (line: string) => void },
  settings: PublisherSettings,
  counters: PublishCounters,
): Publisher => {
  const buffer = createOfflineBuffer(settings.maxBufferedMessages);
  let seq = 0;
  let connected = false;
  let paused = false;
  let closed = false;
  let retryHandle: unknown;
  let drainWaiters: (() => void)[] = [];

  const sync = (): void => {
    counters.buffered = buffer.size;
    counters.dropped = buffer.dropped;
  };

  const notifyIfIdle = (): void => {
    if (buffer.size > 0 || counters.inFlight > 0) return;
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const w of waiters) w();
  };

  const send = (message: QueuedMessage): void => {
    counters.inFlight++;
    counters.sent++;
    let publishing: Promise<void>;
    try {
      publishing = ports.mqtt.publish(message.topic, message.payload, { qos: 1 });
    } catch (err) {
      publishing = Promise.reject(err);
    }
    publishing.then(
      () => {
        counters.inFlight--;
        counters.acknowledged++;
        pump();
        notifyIfIdle();
      },
      (err: unknown) => {
        counters.inFlight--;
        counters.errors++;
        buffer.requeue(message);
        sync();
        ports.log?.(`publish to ${message.topic} failed: ${err instanceof Error ? err.message : String(err)}`);
        // The connection usually dropped and handleConnected resumes; if it did not (a broker that
        // refuses one message), wait before trying again rather than spinning.
        if (connected && !paused && !closed) {
          paused = true;
          retryHandle = ports.clock.schedule(settings.retryDelayMs, () => {
            paused = false;
            pump();
          });
        }
      },
    );
  };

  const pump = (): void => {
    while (connected && !paused && !closed && counters.inFlight < settings.maxInFlight && buffer.size > 0) {
      const message = buffer.shift()!;
      sync();
      send(message);
    }
  };

  return {
    enqueue(topic, payload) {
      buffer.push({ seq: seq++, topic, payload });
      sync();
      pump();
    },
    handleConnected() {
      connected = true;
      if (paused) {
        ports.clock.cancel(retryHandle);
        paused = false;
      }
      pump();
    },
    handleDisconnected() {
      connected = false;
    },
    get connected() {
      return connected;
    },
    drain(timeoutMs) {
      if (buffer.size === 0 && counters.inFlight === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const handle = ports.clock.schedule(timeoutMs, () => {
          drainWaiters = drainWaiters.filter((w) => w !== done);
          resolve(false);
        });
        const done = (): void => {
          ports.clock.cancel(handle);
          resolve(true);
        };
        drainWaiters.push(done);
      });
    },
    close() {
      closed = true;
      if (paused) ports.clock.cancel(retryHandle);
    },
  };
};
