import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/** Settings of `zenthos run sink`. */
export const sinkConfigShape = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
  DATABASE_URL: commonEnv.DATABASE_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  /** Topics read are `<prefix>.{telemetry,status,inference,logs}.enriched`; DLQ is `<prefix>.dlq`. */
  SINK_TOPIC_PREFIX: env.string('zenthos'),
  SINK_GROUP_ID: env.string('zenthos-timescale-sink'),
  /** How long the group waits for a silent member (a killed sink) before moving its partitions. */
  SINK_SESSION_TIMEOUT_MS: env.int(45_000, 6_000, 300_000),
  /** Rows per database transaction at most. */
  SINK_BATCH_SIZE: env.int(5000, 1, 100_000),
  /**
   * Longest a batch keeps gathering records after its first one, and only while they keep
   * arriving: a batch is written as soon as nothing more is ready.
   */
  SINK_LINGER_MS: env.int(200, 0, 60_000),
  /**
   * Time a batch keeps gathering after its first record even when nothing more is ready (at most
   * SINK_LINGER_MS): a quiet sink writes records in fewer transactions, each this much later.
   */
  SINK_MIN_LINGER_MS: env.int(20, 0, 60_000),
  /**
   * librdkafka fetch.wait.max.ms: longest time the broker holds a fetch that found nothing new.
   * Measured against transactional producers (the stream processors), a wait shorter than the
   * gap between their commits delays their records by about the wait itself, while the default
   * 500 ms sees most of them within a few ms; it bounds the late ones.
   */
  SINK_FETCH_WAIT_MAX_MS: env.int(500, 1, 5_000),
  /**
   * librdkafka fetch.min.bytes: the broker answers a fetch once this much is ready, or after
   * SINK_FETCH_WAIT_MAX_MS. Larger means fewer, larger fetches under load (less broker work per
   * record), at the cost of up to SINK_FETCH_WAIT_MAX_MS more latency when records trickle in.
   */
  SINK_FETCH_MIN_BYTES: env.int(1, 1, 100_000_000),
  /**
   * Least time between two Kafka offset commits (0: after every batch). Offsets are always
   * committed after the database commit; a crash re-delivers at most this much more (the unique
   * keys absorb it), and a quiet sink does not pay a commit round trip per record.
   */
  SINK_COMMIT_INTERVAL_MS: env.int(1_000, 0, 60_000),
  /** Upper bound of the wait between two attempts while Postgres is unavailable. */
  SINK_MAX_BACKOFF_MS: env.int(10_000, 10, 600_000),
  /** Retention of raw rows in days (0 keeps them forever); Timescale policy or dropped partitions. */
  SINK_RETENTION_DAYS: env.int(90, 0, 36_500),
  /** Age in days after which Timescale compresses chunks (0 disables); ignored on plain Postgres. */
  SINK_COMPRESS_AFTER_DAYS: env.int(7, 0, 36_500),
  /** Daily partitions created ahead on plain Postgres. */
  SINK_PARTITIONS_AHEAD_DAYS: env.int(7, 1, 365),
  /** Port of /health, /ready and /metrics (0 picks a free one). */
  SINK_OPS_PORT: env.int(9471, 0, 65535),
} as const;

/** Parsed sink settings. */
export type SinkConfig = ConfigOf<typeof sinkConfigShape>;

/** Reads and validates the sink settings once. */
export const loadSinkConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): SinkConfig =>
  loadConfig(sinkConfigShape, source);
