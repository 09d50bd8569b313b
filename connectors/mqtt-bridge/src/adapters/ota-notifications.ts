import { randomUUID } from 'node:crypto';
import type { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import { context, SpanKind, type Meter, type Tracer } from '@opentelemetry/api';
import { backoffDelayMs, isZenthosError, sleep, toZenthosError, ZenthosError, type Logger } from '@zenthos/core';
import {
  collectBatch,
  createKafkajs,
  createRdkafkaConsumer,
  ensureTopics,
  nextPosition,
  type CommitPosition,
  type ConsumerPort,
  type IncomingRecord,
  type ProducerPort,
} from '@zenthos/kafka';
import { contracts, type OtaNotification, type Serde } from '@zenthos/schemas';
import { extractTraceContext, metricNames, metricOptions, traced } from '@zenthos/telemetry';
import { otaTopicOf } from '../domain/topics';

/** Where notifications go: the in-process Aedes broker or the external broker. */
export interface NotificationPublisher {
  /** Publishes at QoS 1 with retain; resolves once the broker has taken the message. */
  publish(topic: string, payload: Buffer): Promise<void>;
}

/** A running consumer of OTA notifications. */
export interface OtaNotificationRelay {
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;
  /** Notifications published and records dead-lettered so far. */
  stats(): { published: number; deadLettered: number };
  stop(): Promise<void>;
}

/** Options of {@link startOtaNotificationRelay}. */
export interface OtaNotificationRelayOptions {
  readonly consumer: ConsumerPort;
  readonly serde: Pick<Serde, 'decode'>;
  /** `<prefix>.ota.notifications`. */
  readonly topic: string;
  /** Records that are no notification go here with the reason (DESIGN.md, dead letters). */
  readonly dlq: { readonly producer: ProducerPort; readonly topic: string };
  readonly publisher: NotificationPublisher;
  /** First level of device topics: `<root>/{model}/{id}/ota`. */
  readonly mqttRoot: string;
  readonly meter: Meter;
  readonly tracer: Tracer;
  readonly logger: Logger;
  readonly maxBackoffMs?: number;
  readonly nowMs?: () => number;
}

/** Headers of a dead letter, as the stream processors write them (DESIGN.md: reason, source topic/partition/offset, error). */
const dlqHeaders = {
  reason: 'zenthos.dlq.reason',
  error: 'zenthos.dlq.error',
  processor: 'zenthos.dlq.processor',
  sourceTopic: 'zenthos.dlq.source.topic',
  sourcePartition: 'zenthos.dlq.source.partition',
  sourceOffset: 'zenthos.dlq.source.offset',
  timeMs: 'zenthos.dlq.time',
} as const;

// A topic level must not be empty, hold a separator, a wildcard (MQTT 3.1.1 §4.7.1) or U+0000 (§1.5.3).
const isTopicLevel = (s: string): boolean => /^[^/+#]+$/.test(s) && !s.includes('\u0000');

/** The device's topic and the JSON it receives, or a coded refusal for a record that is no notification. */
export function notificationMessage(
  key: Buffer | null,
  value: OtaNotification,
  mqttRoot: string,
): { topic: string; payload: Buffer } | ZenthosError {
  if (!isTopicLevel(value.device_id) || !isTopicLevel(value.device_model))
    return new ZenthosError('ZEN_PAYLOAD_INVALID', `device id ${value.device_id} or model ${value.device_model} is no topic level`);
  // The key decides the partition, hence the order of one device's notifications; a record
  // whose key names another device would overtake or be overtaken by that device's own.
  if (key === null || key.toString('utf8') !== value.device_id)
    return new ZenthosError('ZEN_PAYLOAD_INVALID', `record key does not match device_id ${value.device_id}`);
  const payload = {
    message_id: value.message_id,
    device_id: value.device_id,
    device_model: value.device_model,
    // The firmware checks only this kind (firmware/common device.ts, handleOtaNotification).
    kind: value.kind,
    version: value.version,
    reason: value.reason,
    rollout_id: value.rollout_id,
    timestamp: value.timestamp,
  };
  return {
    topic: otaTopicOf({ deviceId: value.device_id, model: value.device_model }, mqttRoot),
    payload: Buffer.from(JSON.stringify(payload)),
  };
}

const positionsOf = (records: readonly IncomingRecord[]): CommitPosition[] => {
  const last = new Map<string, IncomingRecord>();
  for (const r of records) last.set(`${r.topic}\u0000${r.partition}`, r);
  return [...last.values()].map(nextPosition);
};

/**
 * Relays the OTA API's release notifications (`<prefix>.ota.notifications`, Avro, key = device
 * id) to the devices: each becomes a QoS 1 retained PUBLISH on `<root>/{model}/{id}/ota`
 * (DESIGN.md, MQTT platform → device), so a device connecting later still gets the newest one.
 * Offsets are committed after the batch's publishes were all taken by the broker; a broker or
 * registry that fails is retried with backoff, never skipped. A record that is no notification
 * (bad bytes, unknown schema, foreign key) goes to the DLQ and the relay goes on.
 */
export async function startOtaNotificationRelay(opts: OtaNotificationRelayOptions): Promise<OtaNotificationRelay> {
  const { consumer, logger, tracer } = opts;
  const nowMs = opts.nowMs ?? Date.now;
  const readerSchema = contracts['ota-notifications'].schema;
  const sent = opts.meter.createCounter('zenthos.ota.notifications_sent', {
    unit: '{notification}',
    description: 'release notifications published to device ota topics',
  });
  const dlqCount = opts.meter.createCounter(metricNames.dlqMessages, metricOptions.dlqMessages);
  let stopping = false;
  let published = 0;
  let deadLettered = 0;
  await consumer.connect();
  await consumer.subscribe([opts.topic]);

  /** Runs `attempt` until it succeeds; rejects only when stopping (the batch stays uncommitted). */
  const retrying = async <T>(what: string, attempt: () => Promise<T>): Promise<T> => {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (err) {
        if (stopping || (isZenthosError(err) && !err.retriable)) throw err;
        logger.warn({ err, attempt: n }, `${what} failed; retrying`);
        await sleep(backoffDelayMs(n + 1, { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs ?? 10_000 }));
      }
    }
  };

  const deadLetter = async (r: IncomingRecord, error: ZenthosError): Promise<void> => {
    logger.warn({ err: error, partition: r.partition, offset: r.offset }, 'OTA notification record refused; dead-lettered');
    await retrying('dead-lettering an OTA notification', () =>
      opts.dlq.producer.send([
        {
          topic: opts.dlq.topic,
          key: r.key,
          value: r.value,
          headers: {
            ...r.headers,
            [dlqHeaders.reason]: error.code,
            [dlqHeaders.error]: error.message.slice(0, 1_000),
            [dlqHeaders.processor]: 'mqtt-bridge.ota-notifications',
            [dlqHeaders.sourceTopic]: r.topic,
            [dlqHeaders.sourcePartition]: String(r.partition),
            [dlqHeaders.sourceOffset]: r.offset,
            [dlqHeaders.timeMs]: String(nowMs()),
          },
        },
      ]),
    );
    deadLettered++;
    dlqCount.add(1, { reason: error.code, source_topic: r.topic });
  };

  const relay = async (r: IncomingRecord): Promise<void> => {
    if (!r.value) return deadLetter(r, new ZenthosError('ZEN_PAYLOAD_INVALID', 'OTA notification record without a value'));
    let value: OtaNotification;
    try {
      // A registry outage is retriable and waited out; bad bytes or an unknown schema are not.
      // Resolved to this bridge's contract, so a newer writer (fields added with defaults) still reads.
      const decode = (): Promise<{ value: OtaNotification }> => opts.serde.decode<OtaNotification>(r.value as Buffer, { readerSchema });
      value = (await retrying('decoding an OTA notification', decode)).value;
    } catch (err) {
      if (stopping) throw err;
      return deadLetter(r, toZenthosError(err, 'ZEN_DECODE_FAILED'));
    }
    const message = notificationMessage(r.key, value, opts.mqttRoot);
    if (message instanceof ZenthosError) return deadLetter(r, message);
    // Continues the OTA API's trace (its `ota.notify` span) carried in the Kafka headers.
    const parent = extractTraceContext(r.headers, context.active());
    await traced(
      tracer,
      'mqtt.publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'mqtt',
          'messaging.destination.name': message.topic,
          'zenthos.mqtt.qos': 1,
          'zenthos.device_id': value.device_id,
          'zenthos.ota.kind': value.kind,
        },
      },
      () => retrying('publishing an OTA notification', () => opts.publisher.publish(message.topic, message.payload)),
      parent,
    );
    published++;
    sent.add(1, { kind: value.kind, reason: value.reason });
  };

  const done = (async () => {
    while (!stopping) {
      const records = await collectBatch(consumer, {
        maxRecords: 500,
        lingerMs: 0,
        stopped: () => stopping,
        onPollError: (err) => logger.warn({ err }, 'OTA notification poll failed; polling again'),
      });
      if (records.length === 0) continue;
      try {
        // In order: the retained message of a device is its newest notification.
        for (const r of records) await relay(r);
      } catch {
        break; // stopping while a publish was retried: the batch stays uncommitted
      }
      // Every publish of the batch was taken by the broker: only now may Kafka forget them.
      await retrying('committing OTA notification offsets', () => consumer.commit(positionsOf(records)));
    }
  })().finally(() => consumer.disconnect().catch(() => undefined));

  return {
    done,
    stats: () => ({ published, deadLettered }),
    async stop() {
      stopping = true;
      await done.catch(() => undefined);
    },
  };
}

/** A publisher on the in-process Aedes broker: retained messages live in its persistence (Redis when scaled out). */
export const aedesPublisher = (aedes: Aedes): NotificationPublisher => ({
  publish: (topic, payload) =>
    new Promise<void>((resolve, reject) => {
      // aedes calls back once the retained message is stored and the PUBLISH handed to subscribers.
      aedes.publish({ cmd: 'publish', topic, payload, qos: 1, retain: true, dup: false }, (err) => (err ? reject(err) : resolve()));
    }),
});

/** A publisher on the external broker (MQTT_URL): resolves on the broker's PUBACK (MQTT 3.1.1 §4.3.2). */
export const mqttClientPublisher = (clients: readonly MqttClient[]): NotificationPublisher => ({
  publish: async (topic, payload) => {
    const client = clients.find((c) => c.connected);
    if (!client) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'not connected to the external broker', true);
    await client.publishAsync(topic, payload, { qos: 1, retain: true });
  },
});

/** The consumer group of one bridge's relay, and where a new group starts. */
export function notificationGroupOf(settings: { readonly groupId: string; readonly shared: boolean; readonly instanceId: string }): {
  groupId: string;
  fromBeginning: boolean;
} {
  // Shared (Redis scale-out or an external broker): the retained message is stored once for
  // every bridge, so one group splits the partitions between them. Alone (in-memory Aedes):
  // each bridge holds its own devices and its own retained messages, which a restart empties,
  // so each instance reads every notification under a group of its own, from the start of the
  // compacted topic (the newest notification per device), rebuilding what devices find retained.
  return settings.shared
    ? { groupId: settings.groupId, fromBeginning: true }
    : { groupId: `${settings.groupId}.${settings.instanceId}`, fromBeginning: true };
}

/** Settings of {@link startBridgeOtaRelay}, from the bridge's config. */
export interface BridgeOtaRelaySettings {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  /** True with BRIDGE_REDIS_URL or MQTT_URL: see {@link notificationGroupOf}. */
  readonly shared: boolean;
  readonly partitions: number;
  readonly mqttRoot: string;
}

/**
 * Creates the notifications topic when missing (compacted, as the OTA API creates it), joins the
 * group and starts the relay. The caller stops it before closing the broker it publishes to.
 */
export async function startBridgeOtaRelay(
  settings: BridgeOtaRelaySettings,
  deps: Omit<OtaNotificationRelayOptions, 'consumer' | 'topic' | 'mqttRoot'>,
): Promise<OtaNotificationRelay> {
  const admin = createKafkajs({ brokers: settings.brokers, clientId: 'zenthos-bridge-admin' }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: settings.topic, partitions: settings.partitions, config: { 'cleanup.policy': 'compact' } }]);
  } finally {
    await admin.disconnect();
  }
  const group = notificationGroupOf({ groupId: settings.groupId, shared: settings.shared, instanceId: randomUUID() });
  deps.logger.info({ topic: settings.topic, group: group.groupId, shared: settings.shared }, 'relaying OTA notifications');
  const relay = await startOtaNotificationRelay({
    ...deps,
    consumer: createRdkafkaConsumer({ brokers: settings.brokers, clientId: 'zenthos-bridge-ota', ...group }),
    topic: settings.topic,
    mqttRoot: settings.mqttRoot,
  });
  if (settings.shared) return relay;
  return {
    ...relay,
    async stop() {
      await relay.stop();
      // An instance's own group is never joined again: delete it rather than leave it to expire.
      const cleanup = createKafkajs({ brokers: settings.brokers, clientId: 'zenthos-bridge-admin' }).admin();
      await cleanup
        .connect()
        .then(() => cleanup.deleteGroups([group.groupId]))
        .catch((err: unknown) => deps.logger.debug({ err, group: group.groupId }, 'could not delete the relay group'))
        .finally(() => cleanup.disconnect().catch(() => undefined));
    },
  };
}
