import { z } from 'zod';
import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';
import { devicesConfigShape } from '@zenthos/devices';

/**
 * Settings of the OTA API. Release-signing keys come from OTA_SIGNING_KEY (PEM text) or
 * OTA_SIGNING_KEY_FILE; with neither a development key is created in ZENTHOS_KEYS_DIR
 * (git-ignored). S3 storage is used when MINIO_ENDPOINT is set, the filesystem otherwise.
 */
export const otaConfigShape = {
  ...devicesConfigShape,
  REDIS_URL: commonEnv.REDIS_URL,
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
  /**
   * Also take OTA reports from device status messages (MQTT `.../status` → bridge → status
   * processor → OTA_STATUS_TOPIC), besides `POST /device/{id}/ota-report`: devices report over
   * the connection they already have. All OTA instances share OTA_STATUS_GROUP_ID.
   */
  OTA_STATUS_FROM_KAFKA: env.bool(true),
  /**
   * Tell devices over MQTT when the release they are offered changes: one record per device on
   * OTA_NOTIFICATIONS_TOPIC, which the bridge publishes to `zenthos/{model}/{id}/ota`. A change
   * commits only once Kafka has its notifications.
   */
  OTA_NOTIFICATIONS: env.bool(true),
  OTA_NOTIFICATIONS_TOPIC: env.string('zenthos.ota.notifications'),
  /**
   * How long a change waits for Kafka to acknowledge its notifications (librdkafka
   * `message.timeout.ms`) before it fails with 503 ZEN_DEPENDENCY_UNAVAILABLE and rolls back.
   */
  OTA_NOTIFICATIONS_TIMEOUT_MS: env.int(10_000, 1_000, 300_000),
  OTA_STATUS_TOPIC: env.string('zenthos.status.enriched'),
  OTA_STATUS_GROUP_ID: env.string('zenthos-ota-status'),
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  // 0 asks the OS for a free port (tests, side-by-side instances).
  OTA_PORT: env.int(8080, 0, 65535),
  OTA_HOST: env.string('0.0.0.0'),
  /** How devices reach this API; the base of `binary_url`. */
  OTA_PUBLIC_URL: env.url(['http', 'https'], 'http://localhost:8080'),
  OTA_CACHE: env.oneOf(['redis', 'none'], 'redis'),
  /** Key prefix in Redis, so several deployments (or tests) can share one server. */
  OTA_REDIS_PREFIX: env.string('zenthos:ota:'),
  OTA_LATEST_CACHE_TTL_S: env.int(60, 1, 86_400),
  OTA_DEVICE_STATE_TTL_S: env.int(7 * 86_400, 60),
  OTA_STORAGE_DIR: env.string('.zenthos/artifacts'),
  OTA_MAX_ARTIFACT_BYTES: env.int(64 * 1024 * 1024, 1024),
  OTA_MANIFEST_TTL_DAYS: env.int(365, 1, 36_500),
  /** Fleet gauges (rollout progress, devices per firmware) are recomputed at most this often. */
  OTA_GAUGE_INTERVAL_MS: env.int(10_000, 0),
  /** A device whose last report or connection is older than this is shown offline. */
  OTA_ONLINE_WINDOW_S: env.int(300, 1),
  OTA_SIGNING_KEY: z.string().min(1).optional(),
  OTA_SIGNING_KEY_FILE: z.string().min(1).optional(),
  GITHUB_WEBHOOK_SECRET: z.string().min(1).optional(),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_DOWNLOAD_TIMEOUT_MS: env.int(120_000, 1_000),
  MINIO_ENDPOINT: env.url(['http', 'https']).optional(),
  MINIO_ACCESS_KEY: z.string().min(1).optional(),
  MINIO_SECRET_KEY: z.string().min(1).optional(),
  MINIO_BUCKET: env.string('zenthos'),
  MINIO_REGION: env.string('us-east-1'),
  /** With S3, answer downloads with a redirect to a presigned URL instead of proxying. */
  OTA_S3_REDIRECT: env.bool(false),
} as const;

/** Parsed OTA API settings. */
export type OtaConfig = ConfigOf<typeof otaConfigShape>;

/** Reads and validates the OTA API settings once. */
export const loadOtaConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): OtaConfig =>
  loadConfig(otaConfigShape, source);
