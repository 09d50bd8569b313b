// Public API of @zenthos/schemas: Avro contracts and their TypeScript types, the Confluent
// wire-format serde, registry clients, and the schema registry service.
export * from './generated/types';
export { contracts, type ContractKey, type ContractValueByKey, type ContractValueBySubject } from './generated/contracts';
export { createSerde, type SerdeOptions } from './serde';
export {
  createSerdeWith,
  contractSchemaForSubject,
  type Serde,
  type SerdeSettings,
  type Decoded,
  type DecodeOptions,
  type EncodeOptions,
  type ValueForSubject,
} from './domain/serde';
export { parseSchema, schemaText, type AvroSchema } from './domain/avro';
export { checkBounded, defaultDecodeLimits, type DecodeLimits } from './domain/bounded-check';
export { frame, unframe, MAGIC_BYTE, WIRE_HEADER_BYTES, type WireMessage } from './domain/wire-format';
export {
  compatibilityLevels,
  type CompatibilityLevel,
  type CompatibilityResult,
  type SchemaRegistryClient,
  type SubjectVersion,
} from './domain/registry-port';
export { createHttpRegistryClient, type HttpRegistryClientOptions } from './adapters/http-registry-client';
export { createMemoryRegistryClient } from './adapters/memory-registry-client';
export { RegistryError, schemasErrorCodes } from './errors';
export { topicOfKey, subjectOfKey } from './domain/codegen';
export { checkCompatibility, checkReadable, type Incompatibility } from './domain/compatibility';
export { createRegistryService, registryError, type RegistryService, type SchemaLog, type SchemaRequest } from './domain/registry-service';
export { RegistryStore, recordKeys, recordValues, type LogRecord, type StoredVersion } from './domain/registry-store';
export { createKafkaSchemaLog, type KafkaSchemaLog, type KafkaSchemaLogOptions } from './adapters/kafka-schema-log';
export { createMemorySchemaLog, type MemorySchemaLog } from './adapters/memory-schema-log';
export {
  createRegistryRequestHandler,
  startRegistryHttpServer,
  REGISTRY_CONTENT_TYPE,
  type RegistryHttpServer,
  type RegistryHandlerOptions,
} from './adapters/registry-http';
export { startRegistry, startRegistryFromEnv, type RegistryOptions, type RunningRegistry } from './main';
export { registryEnv, clientEnv } from './config';
export { registerSchemasCommands, checkContracts, schemasPackageDir, type CheckVerdict } from './cli';
