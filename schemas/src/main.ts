import { createLogger, loadConfig } from '@zenthos/core';
import { createKafkaSchemaLog } from './adapters/kafka-schema-log';
import { startRegistryHttpServer } from './adapters/registry-http';
import { registryEnv } from './config';
import type { CompatibilityLevel } from './domain/registry-port';
import { createRegistryService } from './domain/registry-service';
import { RegistryStore } from './domain/registry-store';

/** Settings of {@link startRegistry}; `zenthos run registry` reads them from the environment. */
export interface RegistryOptions {
  readonly brokers: readonly string[];
  /** Port of the REST API; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** Compacted topic holding the state (default `_schemas`). */
  readonly topic?: string;
  readonly defaultLevel?: CompatibilityLevel;
  readonly logLevel?: string;
}

/** A running registry. */
export interface RunningRegistry {
  /** Base URL of the REST API, e.g. http://127.0.0.1:8081. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts the Confluent-compatible schema registry: replays the `_schemas` topic, then serves
 * the REST API. Wiring only; behaviour lives in domain/registry-service.ts.
 */
export async function startRegistry(options: RegistryOptions): Promise<RunningRegistry> {
  const logger = createLogger({ service: 'schema-registry', level: options.logLevel ?? 'info' });
  const store = new RegistryStore();
  const log = createKafkaSchemaLog({ brokers: options.brokers, topic: options.topic ?? '_schemas', store, logger });
  await log.start();
  const service = createRegistryService({ store, log, defaultLevel: options.defaultLevel ?? 'BACKWARD' });
  const host = options.host ?? '0.0.0.0';
  const http = await startRegistryHttpServer(service, {
    host,
    port: options.port,
    logger,
    metrics: () =>
      '# HELP zenthos_schema_registry_subjects Subjects with at least one live version.\n' +
      `# TYPE zenthos_schema_registry_subjects gauge\nzenthos_schema_registry_subjects ${store.subjectNames().length}\n` +
      '# HELP zenthos_schema_registry_ignored_records_total Records of the schemas topic that were not understood and skipped.\n' +
      `# TYPE zenthos_schema_registry_ignored_records_total counter\nzenthos_schema_registry_ignored_records_total ${store.ignoredRecords}\n`,
  });
  const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host;
  logger.info({ port: http.port, topic: options.topic ?? '_schemas' }, 'schema registry listening');
  return {
    url: `http://${shownHost}:${http.port}`,
    port: http.port,
    async stop() {
      await http.close();
      await log.stop();
    },
  };
}

/** Starts the registry from environment variables (SCHEMA_REGISTRY_PORT, SCHEMA_REGISTRY_TOPIC, KAFKA_BROKERS, ...). */
export async function startRegistryFromEnv(env: Record<string, string | undefined>): Promise<RunningRegistry> {
  const config = loadConfig(registryEnv, env);
  return startRegistry({
    brokers: config.KAFKA_BROKERS,
    port: config.SCHEMA_REGISTRY_PORT,
    host: config.SCHEMA_REGISTRY_HOST,
    topic: config.SCHEMA_REGISTRY_TOPIC,
    defaultLevel: config.SCHEMA_REGISTRY_COMPATIBILITY,
    logLevel: config.LOG_LEVEL,
  });
}
