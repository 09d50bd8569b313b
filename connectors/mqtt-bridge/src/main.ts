import { readFileSync } from 'node:fs';
import { createLogger, createOpsServer, type Logger, type OpsServer } from '@zenthos/core';
import { createPool, pingDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig } from '@zenthos/devices';
import { createKafkajs, createRdkafkaProducer, ensureTopics, type ProducerPort } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import { initTelemetry, type Telemetry } from '@zenthos/telemetry';
import type { BridgeConfig } from './config';
import { createInFlightLimiter } from './domain/in-flight';
import { topicNames } from './domain/ingest';
import { messageKinds } from './domain/topics';
import { createAedesBroker, type AedesBroker } from './adapters/aedes-broker';
import { createRegistryAuthenticator, type DeviceAuthenticator } from './adapters/device-auth';
import { createExternalBrokerBridge, type ExternalBrokerBridge } from './adapters/external-broker';
import { createIngestPipeline } from './adapters/kafka-ingest';
import { createBridgeMetrics, type BridgeMetrics } from './adapters/metrics';
import { createRedisScaleOut } from './adapters/redis-scale-out';
import { aedesPublisher, mqttClientPublisher, startBridgeOtaRelay } from './adapters/ota-notifications';

/** A running bridge. */
export interface Bridge {
  /** The in-process broker, unless in external-broker mode. */
  readonly broker: AedesBroker | undefined;
  /** The shared-subscription client, in external-broker mode. */
  readonly external: ExternalBrokerBridge | undefined;
  readonly metrics: BridgeMetrics;
  readonly ops: OpsServer;
  close(): Promise<void>;
}

/** What the caller (the CLI, tests) may provide instead of the defaults. */
export interface BridgeOverrides {
  /**
   * OpenTelemetry set up from OTEL_* by the caller (`initTelemetry` with `process.env`);
   * without it the bridge keeps its metrics and spans local (nothing exported).
   */
  readonly telemetry?: Telemetry;
  readonly logger?: Logger;
  readonly auth?: DeviceAuthenticator;
  readonly producer?: ProducerPort;
  readonly now?: () => number;
}

/** Partitions of the topics the bridge creates when they are missing (auto-create is off). */
const TOPIC_PARTITIONS = 6;

/**
 * Starts the bridge (`zenthos run bridge`): creates its Kafka topics if missing, connects the
 * idempotent producer and the registry, then serves MQTT, in-process (Aedes) or, with
 * MQTT_URL, through a shared subscription on an external broker; ops HTTP on BRIDGE_OPS_PORT.
 */
export async function startBridge(config: BridgeConfig, overrides: BridgeOverrides = {}): Promise<Bridge> {
  const ownTelemetry = overrides.telemetry ? undefined : initTelemetry({ serviceName: 'mqtt-bridge', env: {}, registerGlobal: false });
  const telemetry = (overrides.telemetry ?? ownTelemetry) as Telemetry;
  const logger =
    overrides.logger ??
    createLogger({ service: 'mqtt-bridge', level: config.LOG_LEVEL, mixin: telemetry.logMixin, destination: telemetry.logDestination });
  const metrics = createBridgeMetrics(telemetry.meter);
  const { tracer } = telemetry;
  // Without a traces endpoint no span leaves the process: see IngestPipelineDeps.spansExported.
  const spansExported = telemetry.settings.traces !== undefined;
  const topics = topicNames(config.BRIDGE_TOPIC_PREFIX);
  const closers: Array<() => Promise<void>> = [];
  if (ownTelemetry) closers.push(() => ownTelemetry.shutdown());
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'close failed'));
  };

  try {
    const kafka = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-bridge-admin' });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, [
        ...messageKinds.map((k) => ({ topic: topics.raw(k), partitions: TOPIC_PARTITIONS })),
        { topic: topics.dlq, partitions: TOPIC_PARTITIONS },
      ]);
    } finally {
      await admin.disconnect();
    }

    const producer =
      overrides.producer ??
      createRdkafkaProducer(
        { brokers: config.KAFKA_BROKERS, clientId: 'zenthos-bridge' },
        {
          // A message Kafka cannot take within this time fails; the device reconnects and resends.
          'message.timeout.ms': config.BRIDGE_KAFKA_DELIVERY_TIMEOUT_MS,
          'linger.ms': config.BRIDGE_KAFKA_LINGER_MS,
          // Uncompressed: the broker decompresses every compressed batch to validate it, and a
          // batch of a few records of ~200 bytes gains little from lz4. Measured with a bare
          // producer at 8,000 records/s on the local broker: its CPU per record about 13 % lower.
          'compression.codec': 'none',
        },
        { pollIntervalMs: config.BRIDGE_KAFKA_POLL_INTERVAL_MS },
      );
    await producer.connect();
    closers.push(() => producer.disconnect());

    const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
    const pipeline = createIngestPipeline({
      producer,
      serde,
      limiter: createInFlightLimiter(config.BRIDGE_MAX_IN_FLIGHT),
      metrics,
      tracer,
      spansExported,
      rules: {
        maxClockSkewS: config.BRIDGE_MAX_CLOCK_SKEW_S,
        maxPayloadBytes: config.BRIDGE_MAX_PACKET_BYTES,
        mqttRoot: config.BRIDGE_MQTT_ROOT,
        topics,
      },
      ...(overrides.now ? { now: overrides.now } : {}),
    });

    let broker: AedesBroker | undefined;
    let external: ExternalBrokerBridge | undefined;
    const checks: Record<string, () => Promise<void>> = {
      kafka: async () => {
        await admin.describeCluster();
      },
      'schema-registry': async () => {
        await serde.registry.getCompatibility();
      },
    };
    if (config.MQTT_URL) {
      external = createExternalBrokerBridge(
        {
          url: config.MQTT_URL,
          mqttRoot: config.BRIDGE_MQTT_ROOT,
          shareGroup: config.BRIDGE_SHARE_GROUP,
          clientId: config.BRIDGE_CLIENT_ID,
          connections: config.BRIDGE_EXTERNAL_CONNECTIONS,
        },
        { pipeline, metrics, logger, tracer, ...(overrides.now ? { now: overrides.now } : {}) },
      );
      closers.push(() => (external as ExternalBrokerBridge).close());
      await external.ready();
      checks['mqtt'] = async () => {
        if (!(external as ExternalBrokerBridge).clients.every((c) => c.connected)) throw new Error('not connected to the external broker');
      };
      logger.info({ url: config.MQTT_URL, group: config.BRIDGE_SHARE_GROUP }, 'bridge subscribed to the external broker');
    } else {
      let auth = overrides.auth;
      if (!auth) {
        const pool = createPool(config.DATABASE_URL, { applicationName: 'zenthos-bridge' });
        closers.push(() => pool.end());
        auth = createRegistryAuthenticator(createDeviceRegistryFromConfig(config, pool), pool);
        checks['database'] = () => pingDatabase(pool);
      }
      const scaleOut = config.BRIDGE_REDIS_URL ? await createRedisScaleOut(config.BRIDGE_REDIS_URL) : undefined;
      if (scaleOut) closers.push(() => scaleOut.close());
      const tls =
        config.BRIDGE_TLS_CERT_FILE && config.BRIDGE_TLS_KEY_FILE
          ? {
              port: config.BRIDGE_MQTTS_PORT,
              cert: readFileSync(config.BRIDGE_TLS_CERT_FILE, 'utf8'),
              key: readFileSync(config.BRIDGE_TLS_KEY_FILE, 'utf8'),
              clientCa: config.BRIDGE_TLS_CLIENT_CA_FILE ? readFileSync(config.BRIDGE_TLS_CLIENT_CA_FILE, 'utf8') : undefined,
            }
          : undefined;
      broker = await createAedesBroker(
        {
          host: config.BRIDGE_MQTT_HOST,
          port: config.BRIDGE_MQTT_PORT,
          tls,
          mqttRoot: config.BRIDGE_MQTT_ROOT,
          maxPacketBytes: config.BRIDGE_MAX_PACKET_BYTES,
          connectTimeoutMs: config.BRIDGE_CONNECT_TIMEOUT_MS,
          revocationCheckMs: config.BRIDGE_REVOCATION_CHECK_MS,
          ...(scaleOut ? { aedes: scaleOut.aedesOptions } : {}),
        },
        { auth, pipeline, metrics, logger, tracer, spansExported, ...(overrides.now ? { now: overrides.now } : {}) },
      );
      closers.push(() => (broker as AedesBroker).close());
      logger.info({ port: broker.port, tls_port: broker.tlsPort }, 'bridge broker listening');
    }

    if (config.BRIDGE_OTA_NOTIFICATIONS) {
      // Platform → device release notifications; stopped (closers run backwards) before the broker closes.
      const relay = await startBridgeOtaRelay(
        {
          brokers: config.KAFKA_BROKERS,
          topic: `${config.BRIDGE_TOPIC_PREFIX}.ota.notifications`,
          groupId: config.BRIDGE_OTA_GROUP_ID,
          shared: Boolean(config.BRIDGE_REDIS_URL ?? config.MQTT_URL),
          partitions: TOPIC_PARTITIONS,
          mqttRoot: config.BRIDGE_MQTT_ROOT,
        },
        {
          serde,
          dlq: { producer, topic: topics.dlq },
          publisher: broker ? aedesPublisher(broker.aedes) : mqttClientPublisher((external as ExternalBrokerBridge).clients),
          meter: telemetry.meter,
          tracer,
          logger,
        },
      );
      closers.push(() => relay.stop());
    }
    const ops = await createOpsServer({ port: config.BRIDGE_OPS_PORT, checks, metrics: () => telemetry.metricsText() });
    closers.push(() => ops.close());
    return { broker, external, metrics, ops, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
