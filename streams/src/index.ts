// Public API of @zenthos/streams: processors, topology, runtime and CLI commands.
export * from './domain/record';
export * from './domain/kinds';
export { createValidate, rangeFor, type SensorRange, type SensorRanges, type ValidateSettings } from './domain/validate';
export {
  createEnrich,
  locationOf,
  flattenMetadata,
  type DeviceInfo,
  type DeviceLookup,
  type DeviceActivity,
  type DeviceSighting,
  type EnrichSettings,
} from './domain/enrich';
export { createDedupe, ownerOf, SOURCE_POSITION_HEADER, type DedupeStore, type DedupeSettings } from './domain/dedupe';
export * from './domain/topology';
export { describeTree, describeMermaid, describeJson } from './domain/describe';
export { zenthosTopology } from './domain/zenthos-topology';
export { createMemoryDedupeStore } from './adapters/memory-dedupe-store';
export { createRedisDedupeStore, type RedisDedupeStoreSettings, type ClosableDedupeStore } from './adapters/redis-dedupe-store';
export {
  createPostgresDeviceRegistry,
  DEVICES_CHANNEL,
  type PostgresDeviceRegistry,
  type PostgresDeviceRegistrySettings,
} from './adapters/postgres-device-registry';
export {
  loadProcessorConfig,
  loadStreamsConfig,
  processorEnv,
  streamsEnv,
  defaultSensorRanges,
  type ProcessorConfig,
  type StreamsConfig,
} from './config';
export { streamsErrorCodes } from './errors';
export { registerStreamsCommands } from './cli';
export { startProcessor, type StartProcessorOptions, type RunningProcessor } from './main';
export { createStreamMetrics, streamMetricNames, type StreamMetrics, type RecordOutcomeLabel } from './metrics';
export {
  createBatchHandler,
  sourcePosition,
  type RecordCodec,
  type RecordTracer,
  type BatchResult,
  type BatchSettings,
} from './domain/batch';
export * from './domain/dead-letter';
export { applyTopics, missingTopics, type TopicChange } from './adapters/topic-admin';
export { consumerLag, type GroupPartitionLag } from './adapters/lag';
export { listDeadLetters, replayDeadLetters } from './adapters/dead-letter-admin';
export { createProcessorRunner, type ProcessorRunner, type ProcessorRunnerSettings } from './adapters/kafka-runner';
export { createSerdeCodec } from './adapters/serde-codec';
export { createRecordTracer } from './adapters/tracing';
export { checkSubjects, registerSubjects } from './adapters/subjects';
