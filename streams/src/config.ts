import { hostname } from 'node:os';
import { z } from 'zod';
import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';
import type { SensorRanges } from './domain/validate';

/** Ranges used when PROCESSOR_SENSOR_RANGES is not set (datasheet limits of the common sensors). */
export const defaultSensorRanges: SensorRanges = {
  '*': { temperature: [-40, 125], humidity: [0, 100], pressure_hpa: [300, 1100], battery_v: [0, 5.5] },
  'esp32-s3': { temperature: [-40, 85] },
  'esp32-cam': { temperature: [-20, 85] },
};

const sensorRanges = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (s === undefined) return defaultSensorRanges;
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), z.record(z.string(), z.tuple([z.number(), z.number()]))));

/** Names of the topic prefix: lower-case words with dots, dashes or underscores. */
const topicPrefix = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, { message: 'must be lower-case letters, digits, . _ -' })
  .default('zenthos');

/** Settings shared by every streams command (topology, lag, dlq) and the processor. */
export const streamsEnv = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  STREAMS_TOPIC_PREFIX: topicPrefix,
} as const;

/** Settings of `zenthos run processor`. */
export const processorEnv = {
  ...streamsEnv,
  DATABASE_URL: commonEnv.DATABASE_URL,
  REDIS_URL: commonEnv.REDIS_URL,
  PROCESSOR_OPS_PORT: env.port(9470),
  PROCESSOR_INSTANCE_ID: env.string(`${hostname()}-${process.pid}`),
  /**
   * Largest poll batch, and so the most records in one Kafka transaction. Each transaction costs
   * the broker about the same whatever its size (AddPartitionsToTxn, AddOffsetsToTxn,
   * TxnOffsetCommit, EndTxn, a marker per partition), but a batch is processed as a whole before
   * its transaction starts. End to end paced at 14,000 messages/s (150,000 messages): 500 made
   * 306-331 transactions, 1,000 made 153 at the same processor latency (p99 bridge → processed
   * 165-219 ms), 2,000 made 80-90 but p99 bridge → processed up to 361 ms (1.4 s in one run of
   * six). Streams README, Performance: "Transactions per run".
   */
  PROCESSOR_BATCH_MAX: env.int(1_000, 1, 100_000),
  PROCESSOR_POLL_TIMEOUT_MS: env.int(100, 1, 60_000),
  /**
   * librdkafka fetch.wait.max.ms of the processor's consumer: how long the broker may hold a fetch
   * while no record is ready (librdkafka's default is 500 ms).
   */
  PROCESSOR_FETCH_WAIT_MAX_MS: env.int(100, 0, 300_000),
  /**
   * compression.codec of the processor's transactional producer. None by default: the broker
   * decompresses every batch to validate it and the sink's consumer decompresses it again, while
   * the enriched records of a local broker gain little from fewer bytes (end to end, back to back:
   * processor and broker CPU per message both lower without lz4; streams README, Performance).
   */
  PROCESSOR_COMPRESSION: env.oneOf(['none', 'gzip', 'snappy', 'lz4', 'zstd'], 'none'),
  PROCESSOR_TRANSACTION_TIMEOUT_MS: env.int(30_000, 1_000, 900_000),
  /**
   * Shortest time between the starts of two transactions: a smaller batch keeps polling until
   * then, so under load there are fewer, larger transactions (each costs the broker the same
   * requests and marker writes whatever its size); a record waits at most this long for it.
   * 100 ms, Kafka Streams' exactly-once commit.interval.ms: paced at 14,000 messages/s with
   * batches of 2,000, 50 ms made 93-159 transactions per 150,000 messages, 100 ms 80-104.
   */
  PROCESSOR_TRANSACTION_INTERVAL_MS: env.int(100, 0, 10_000),
  PROCESSOR_SESSION_TIMEOUT_MS: env.int(45_000, 6_000, 3_600_000),
  PROCESSOR_DEDUPE_WINDOW_MS: env.int(86_400_000, 1_000),
  PROCESSOR_MAX_FUTURE_SKEW_S: env.int(300, 0),
  PROCESSOR_MAX_AGE_S: env.int(7 * 86_400, 1),
  PROCESSOR_SENSOR_RANGES: sensorRanges,
  PROCESSOR_AUTO_REGISTER: env.bool(false),
  PROCESSOR_CREATE_TOPICS: env.bool(true),
  PROCESSOR_DEVICE_CACHE_MAX: env.int(100_000, 0),
  PROCESSOR_DEVICE_CACHE_TTL_MS: env.int(300_000, 0),
  PROCESSOR_ACTIVITY_FLUSH_MS: env.int(1_000, 10),
} as const;

/** Parsed settings of the streams commands. */
export type StreamsConfig = ConfigOf<typeof streamsEnv>;
/** Parsed settings of the processor service. */
export type ProcessorConfig = ConfigOf<typeof processorEnv>;

/** Reads the streams settings once. */
export const loadStreamsConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): StreamsConfig =>
  loadConfig(streamsEnv, source);

/** Reads the processor settings once; every bad variable is named in one error. */
export const loadProcessorConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): ProcessorConfig =>
  loadConfig(processorEnv, source);
