import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/** Settings of `zenthos bench`. */
export const benchConfigShape = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  /** The benchmark creates (and drops) its own database next to this one; the user must be allowed to. */
  DATABASE_URL: commonEnv.DATABASE_URL,
  /** The processor's deduplication marks of the run are deleted from it at the end. */
  REDIS_URL: commonEnv.REDIS_URL,
  /** JSON results are written here (git-ignored). */
  BENCH_RESULTS_DIR: env.string('bench-results'),
  /** Mosquitto of the local stack, for the raw MQTT baseline. */
  BENCH_MOSQUITTO_URL: env.url(['mqtt', 'tcp'], 'mqtt://127.0.0.1:1884'),
  /** Kafka's jars (the stack downloads them), for kafka-producer-perf-test. */
  BENCH_KAFKA_LIBS: env.string('.zenthos/kafka/libs'),
  /** The psql client for the COPY baseline. */
  BENCH_PSQL: env.string('psql'),
} as const;

/** Parsed benchmark settings. */
export type BenchConfig = ConfigOf<typeof benchConfigShape>;

/** Reads and validates the benchmark settings once. */
export const loadBenchConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): BenchConfig =>
  loadConfig(benchConfigShape, source);
