import { z } from 'zod';
import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';
import { devicesConfigShape } from '@zenthos/devices';

const optionalUrl = (protocols: readonly string[]) => env.url(protocols).optional();

/**
 * Settings of the MQTT → Kafka bridge (`zenthos run bridge`). The device registry's variables
 * (DATABASE_URL, DEVICE_TOKEN_*) come from @zenthos/devices; a bridge normally sets only
 * DEVICE_TOKEN_PUBLIC_KEY, since it verifies tokens and never issues them.
 */
export const bridgeConfigShape = {
  ...devicesConfigShape,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  /** With it, shared subscription on this broker instead of the in-process Aedes broker. */
  MQTT_URL: optionalUrl(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss']),
  /** With it, Aedes sessions and platform → device messages are shared through Redis (scale-out). */
  BRIDGE_REDIS_URL: optionalUrl(['redis', 'rediss']),
  /** Plain MQTT listener (DESIGN.md defaults: 1883); 0 picks a free port. */
  BRIDGE_MQTT_PORT: env.int(1883, 0, 65535),
  BRIDGE_MQTT_HOST: env.string('0.0.0.0'),
  /** MQTT over TLS listener (8883), started when a certificate and key are configured. */
  BRIDGE_MQTTS_PORT: env.int(8883, 0, 65535),
  BRIDGE_TLS_CERT_FILE: z.string().min(1).optional(),
  BRIDGE_TLS_KEY_FILE: z.string().min(1).optional(),
  /** With it, TLS clients must present a certificate from this CA whose CN is the device id (mTLS). */
  BRIDGE_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  /** Largest MQTT packet accepted, for every protocol version, checked before buffering. */
  BRIDGE_MAX_PACKET_BYTES: env.int(256 * 1024, 64, 256 * 1024 * 1024),
  /** How far a device's `timestamp` may be from the bridge clock. */
  BRIDGE_MAX_CLOCK_SKEW_S: env.int(300, 1),
  /** Publishes being produced at once; beyond it the bridge stops reading sockets. */
  BRIDGE_MAX_IN_FLIGHT: env.int(2000, 1, 1_000_000),
  /** Prefix of the Kafka topics: `<prefix>.<kind>.raw`, `<prefix>.dlq`. */
  BRIDGE_TOPIC_PREFIX: env.string('zenthos'),
  /** First level of device topics: `<root>/{model}/{id}/{kind}`. */
  BRIDGE_MQTT_ROOT: env.string('zenthos'),
  /** Shared-subscription group in external-broker mode: `$share/<group>/<root>/+/+/+`. */
  BRIDGE_SHARE_GROUP: env.string('zenthos'),
  /** Client id prefix on an external broker (MQTT_URL); stable, so the broker keeps unacknowledged messages for a restart. Distinct per bridge. */
  BRIDGE_CLIENT_ID: env.string('zenthos-bridge'),
  /** Connections to the external broker in the share group (each handles one message at a time). */
  BRIDGE_EXTERNAL_CONNECTIONS: env.int(4, 1, 64),
  /** How often connected devices' credentials are checked again, so revocation reaches live connections. */
  BRIDGE_REVOCATION_CHECK_MS: env.int(2_000, 100, 3_600_000),
  /** Time a new connection has to send CONNECT. */
  BRIDGE_CONNECT_TIMEOUT_MS: env.int(10_000, 100),
  /** How long a record may wait for Kafka (librdkafka message.timeout.ms); the device then reconnects and resends. */
  BRIDGE_KAFKA_DELIVERY_TIMEOUT_MS: env.int(60_000, 1_000),
  /**
   * librdkafka linger.ms: how long the producer waits to fill a batch. Every PUBACK waits for it;
   * librdkafka sends one produce request per partition and batch, so a longer linger means fewer,
   * larger requests and delivery-report batches. 5 ms: in the end-to-end benchmark 10 ms gave the
   * bridge 0.020–0.023 ms CPU per message against 0.021–0.024 with 5 ms (alternating runs, the
   * broker's about the same, the whole path 0.091–0.103 against 0.099–0.100), but a client with few
   * publishes in flight waits the linger on every one: the bridge stage bench (20 clients, window
   * 10) fell from 20,400 to 13,200 msg/s with 10 ms (README, Performance).
   */
  BRIDGE_KAFKA_LINGER_MS: env.int(5, 0, 1_000),
  /** How often Kafka delivery reports are polled; a PUBACK waits for the next poll after the ack. */
  BRIDGE_KAFKA_POLL_INTERVAL_MS: env.int(2, 1, 1_000),
  /** /health, /ready and /metrics. */
  BRIDGE_OPS_PORT: env.int(9464, 0, 65535),
  /** Relay the OTA API's release notifications (`<prefix>.ota.notifications`) to `<root>/{model}/{id}/ota`, QoS 1 retained. */
  BRIDGE_OTA_NOTIFICATIONS: env.bool(true),
  /** Consumer group of that relay; shared with Redis or MQTT_URL, else suffixed per instance (each needs every notification). */
  BRIDGE_OTA_GROUP_ID: env.string('zenthos-bridge-ota'),
} as const;

/** Parsed bridge settings. */
export type BridgeConfig = ConfigOf<typeof bridgeConfigShape>;

/** Reads and validates the bridge settings once. */
export const loadBridgeConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): BridgeConfig =>
  loadConfig(bridgeConfigShape, source);
