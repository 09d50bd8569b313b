import { commonEnv, env } from '@zenthos/core';

/** Environment variables of the schema registry service (`zenthos run registry`). */
export const registryEnv = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  /** Port of the REST API (DESIGN.md defaults: 8081). */
  SCHEMA_REGISTRY_PORT: env.port(8081),
  /** Address the REST API listens on. */
  SCHEMA_REGISTRY_HOST: env.string('0.0.0.0'),
  /** Compacted topic holding the registry's state, in Confluent's record format. */
  SCHEMA_REGISTRY_TOPIC: env.string('_schemas'),
  /** Compatibility level used when neither the subject nor the global config sets one (DESIGN.md: BACKWARD). */
  SCHEMA_REGISTRY_COMPATIBILITY: env.oneOf(
    ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'],
    'BACKWARD',
  ),
} as const;

/** Environment variables of serde clients: which registry to use. */
export const clientEnv = {
  /** Any Confluent-compatible registry; defaults to the local `zenthos run registry`. */
  SCHEMA_REGISTRY_URL: commonEnv.SCHEMA_REGISTRY_URL,
} as const;
