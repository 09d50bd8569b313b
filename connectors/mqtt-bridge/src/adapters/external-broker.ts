import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { extractTraceContext, spanNames } from '@zenthos/telemetry';
import type { Logger } from '@zenthos/core';
import { parseDeviceTopic } from '../domain/topics';
import type { IngestPipeline } from './kafka-ingest';
import type { BridgeMetrics } from './metrics';

/** Settings of {@link createExternalBrokerBridge}. */
export interface ExternalBrokerSettings {
  readonly url: string;
  readonly mqttRoot: string;
  readonly shareGroup: string;
  /** Stable client id prefix: the broker keeps unacknowledged messages in these sessions. */
  readonly clientId: string;
  /** Connections in the share group; each handles one message at a time (mqtt.js acks in order). */
  readonly connections: number;
  /** Kept for the broker to redeliver after a bridge restart. */
  readonly sessionExpiryS?: number;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
}

/** Dependencies of {@link createExternalBrokerBridge}. */
export interface ExternalBrokerDeps {
  readonly pipeline: IngestPipeline;
  readonly metrics: BridgeMetrics;
  readonly logger: Logger;
  readonly tracer: Tracer;
  readonly now?: () => number;
}

/** The running subscriber. */
export interface ExternalBrokerBridge {
  readonly clients: readonly MqttClient[];
  /** Resolves once every connection has its subscription. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

const PUBACK_SUCCESS = 0;

/**
 * External-broker mode (DESIGN.md: with MQTT_URL set): the bridge subscribes to an existing
 * broker with the MQTT 5 shared subscription `$share/<group>/<root>/+/+/+` at QoS 1 and runs
 * the same pipeline. Acknowledgements are manual (mqtt.js `customHandleAcks`): the PUBACK to
 * the broker leaves only after Kafka has the record. When Kafka cannot take a message the
 * connection is dropped without acknowledging, and the broker redelivers it into the
 * persistent session (clean start false, MQTT 5 §4.4) when the bridge reconnects.
 *
 * The broker authenticated the devices, so the identity a payload must match is the device
 * named by the topic; ACLs on that broker must keep devices in their own topics.
 */
export function createExternalBrokerBridge(settings: ExternalBrokerSettings, deps: ExternalBrokerDeps): ExternalBrokerBridge {
  const { pipeline, metrics, logger, tracer } = deps;
  const now = deps.now ?? Date.now;
  const filter = `$share/${settings.shareGroup}/${settings.mqttRoot}/+/+/+`;

  /** One message through the pipeline; resolves once Kafka has it (or it was not a device message). */
  const handleMessage = async (topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> => {
    const receivedAtMs = now();
    const parsed = parseDeviceTopic(topic, settings.mqttRoot);
    if (!parsed) {
      // Matches the filter but is no device → platform message (e.g. `<root>/m/d/ota`).
      if (!topic.endsWith('/ota')) metrics.refused({ reason: 'bad_topic' });
      return;
    }
    const identity = { deviceId: parsed.deviceId, model: parsed.model };
    // Continues the device's trace when it sent a `traceparent` MQTT 5 user property.
    const parent = extractTraceContext(packet.properties?.userProperties, context.active());
    const span = tracer.startSpan(
      spanNames.mqttReceive,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'mqtt', 'messaging.destination.name': topic, 'zenthos.mqtt.qos': packet.qos },
      },
      parent,
    );
    try {
      await pipeline.handle({ topic, payload: Buffer.from(payload), identity, receivedAtMs }, trace.setSpan(parent, span));
    } finally {
      span.end();
    }
  };

  const open = (index: number): { client: MqttClient; subscribed: Promise<void> } => {
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: `${settings.clientId}-${index}`,
      clean: false,
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      properties: { sessionExpiryInterval: settings.sessionExpiryS ?? 3_600 },
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      // QoS 1/2: the PUBACK (or PUBREC) waits for Kafka.
      customHandleAcks: (topic, payload, packet, ack) => {
        handleMessage(topic, payload, packet).then(
          () => ack(PUBACK_SUCCESS),
          (err: unknown) => {
            logger.warn({ err, topic }, 'kafka did not take the message; reconnecting without PUBACK');
            ack(err as Error);
            client.stream?.destroy();
          },
        );
      },
    };
    const client: MqttClient = connect(settings.url, options);
    client.on('error', (err) => logger.debug({ err: err.message }, 'external broker error'));
    // QoS 0 has no acknowledgement to hold back (mqtt.js emits QoS 1 messages here too, after the ack).
    client.on('message', (topic, payload, packet) => {
      if (packet.qos !== 0) return;
      handleMessage(topic, payload, packet).catch((err: unknown) =>
        logger.warn({ err, topic }, 'kafka did not take a QoS 0 message; it is lost'),
      );
    });
    const subscribe = (): Promise<void> =>
      client.subscribeAsync(filter, { qos: 1 }).then((granted) => {
        if (granted.some((g) => g.qos > 1)) throw new Error(`broker refused ${filter}: ${JSON.stringify(granted)}`);
      });
    const subscribed = new Promise<void>((resolve, reject) => {
      client.on('connect', (connack) => {
        // A resumed session already holds the subscription; subscribing again is harmless.
        if (!connack.sessionPresent || client.options.resubscribe === false) subscribe().then(resolve, reject);
        else resolve();
      });
    });
    return { client, subscribed };
  };

  const opened = Array.from({ length: settings.connections }, (_, i) => open(i));
  return {
    clients: opened.map((o) => o.client),
    ready: () => Promise.all(opened.map((o) => o.subscribed)).then(() => undefined),
    close: () => Promise.all(opened.map((o) => o.client.endAsync())).then(() => undefined),
  };
}
