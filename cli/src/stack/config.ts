import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/** Settings of the local stack: the shared service URLs plus the test broker and JVM size. */
export const stackEnv = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  DATABASE_URL: commonEnv.DATABASE_URL,
  AMQP_URL: commonEnv.AMQP_URL,
  REDIS_URL: commonEnv.REDIS_URL,
  /** The second, external MQTT broker (Mosquitto) used by tests of the external-broker mode. */
  MOSQUITTO_URL: env.url(['mqtt', 'mqtts', 'tcp'], 'mqtt://127.0.0.1:1884'),
  /** Kafka's JVM heap; small by default so the stack fits a 2-core machine. */
  KAFKA_HEAP_MB: env.int(768, 128, 32_768),
  /** Seconds `stack up` waits for each service to become healthy. */
  STACK_START_TIMEOUT_S: env.int(120, 5, 3600),
};

export type StackConfig = ConfigOf<typeof stackEnv>;

export const loadStackConfig = (source: NodeJS.ProcessEnv = process.env): StackConfig => loadConfig(stackEnv, source);
