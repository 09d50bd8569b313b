import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/** Exchange and queue naming, shared by the bridge and the alerts worker. */
const topologyEnv = {
  /** Prepended to the exchange and queue names (tests use random prefixes); empty in production. */
  RABBIT_NAME_PREFIX: env.string(''),
  /** Deliveries of one message before a quorum queue dead-letters it (x-delivery-limit). */
  RABBIT_DELIVERY_LIMIT: env.int(5, 1, 1_000),
} as const;

/** Settings of `zenthos run rabbit`. */
export const bridgeConfigShape = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
  AMQP_URL: commonEnv.AMQP_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  ...topologyEnv,
  /** Kafka topics read are `<prefix>.{telemetry,status,inference,logs}.enriched`. */
  RABBIT_TOPIC_PREFIX: env.string('zenthos'),
  RABBIT_GROUP_ID: env.string('zenthos-rabbitmq-bridge'),
  /** Records published per confirm round (offsets are committed after all are confirmed). */
  RABBIT_BATCH_SIZE: env.int(500, 1, 10_000),
  RABBIT_LINGER_MS: env.int(50, 0, 60_000),
  RABBIT_MAX_BACKOFF_MS: env.int(10_000, 10, 600_000),
  /** Port of /health, /ready and /metrics (0 picks a free one). */
  RABBIT_OPS_PORT: env.int(9472, 0, 65535),
} as const;

/** Settings of `zenthos run alerts`. */
export const alertsConfigShape = {
  AMQP_URL: commonEnv.AMQP_URL,
  DATABASE_URL: commonEnv.DATABASE_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  ...topologyEnv,
  /** Unacknowledged sensor_data messages in flight (AMQP prefetch). */
  ALERTS_PREFETCH: env.int(50, 1, 10_000),
  /** How long the rules are cached before they are read again. */
  ALERTS_RULES_REFRESH_MS: env.int(5_000, 0, 3_600_000),
  /** Port of /health, /ready and /metrics (0 picks a free one). */
  ALERTS_OPS_PORT: env.int(9473, 0, 65535),
} as const;

/** Parsed bridge settings. */
export type BridgeConfig = ConfigOf<typeof bridgeConfigShape>;
/** Parsed alerts worker settings. */
export type AlertsConfig = ConfigOf<typeof alertsConfigShape>;

/** Reads and validates the bridge settings once. */
export const loadBridgeConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): BridgeConfig =>
  loadConfig(bridgeConfigShape, source);
/** Reads and validates the alerts worker settings once. */
export const loadAlertsConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): AlertsConfig =>
  loadConfig(alertsConfigShape, source);
