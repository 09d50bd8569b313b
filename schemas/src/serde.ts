import { loadConfig } from '@zenthos/core';
import { createHttpRegistryClient } from './adapters/http-registry-client';
import { clientEnv } from './config';
import type { SchemaRegistryClient } from './domain/registry-port';
import { createSerdeWith, type Serde, type SerdeSettings } from './domain/serde';

/** Options of {@link createSerde}. */
export interface SerdeOptions extends SerdeSettings {
  /** Registry base URL (SCHEMA_REGISTRY_URL). Ignored when `registry` is given. */
  readonly registryUrl?: string;
  /** A registry client to use instead of HTTP (e.g. createMemoryRegistryClient() in unit tests). */
  readonly registry?: SchemaRegistryClient;
  /** Time limit of one registry request. */
  readonly registryTimeoutMs?: number;
}

/**
 * Creates the Avro serde every Zenthos producer and consumer uses:
 *
 * ```ts
 * const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
 * const bytes = await serde.encode('zenthos.telemetry.raw-value', telemetry);
 * const { schemaId, value } = await serde.decode<TelemetryRaw>(bytes);
 * ```
 *
 * Without `registryUrl` or `registry` it reads SCHEMA_REGISTRY_URL from `env` (default
 * http://127.0.0.1:8081). Only standard Confluent REST routes are used, so any compatible
 * registry works.
 */
export function createSerde(options: SerdeOptions = {}, env: Record<string, string | undefined> = process.env): Serde {
  const registry =
    options.registry ??
    createHttpRegistryClient({
      url: options.registryUrl ?? loadConfig(clientEnv, env).SCHEMA_REGISTRY_URL,
      timeoutMs: options.registryTimeoutMs,
    });
  return createSerdeWith(registry, options);
}
