import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/**
 * Settings of `zenthos demo` (and of the platform the benchmark starts). The services themselves
 * read their own variables; these are what the orchestration needs.
 */
export const demoConfigShape = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  DATABASE_URL: commonEnv.DATABASE_URL,
  AMQP_URL: commonEnv.AMQP_URL,
  /** Each service's output goes to `<dir>/<service>.log`. */
  DEMO_LOG_DIR: env.string('.zenthos/logs'),
  /** The simulated devices' flash; emptied at the start of every demo. */
  DEMO_STATE_DIR: env.string('.zenthos/demo'),
  /** How long each service may take to answer /ready. */
  DEMO_READY_TIMEOUT_MS: env.int(120_000, 1_000),
} as const;

/** Parsed demo settings. */
export type DemoConfig = ConfigOf<typeof demoConfigShape>;

/** Reads and validates the demo settings once. */
export const loadDemoConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): DemoConfig =>
  loadConfig(demoConfigShape, source);
