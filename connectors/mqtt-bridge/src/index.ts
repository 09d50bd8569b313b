// Public API of @zenthos/mqtt-bridge: the bridge service, its configuration and the pure
// rules it applies to devices (topic ACLs, payload contract, Kafka record plans).
export { bridgeConfigShape, loadBridgeConfig, type BridgeConfig } from './config';
export { bridgeErrorCodes, invalidReasons, refusalReasons, type InvalidReason, type RefusalReason } from './errors';
export {
  messageKinds,
  parseDeviceTopic,
  otaTopicOf,
  authorizePublishTopic,
  authorizeSubscribeFilter,
  authorizeWillTopic,
  type MessageKind,
  type DeviceIdentity,
  type DeviceTopic,
  type AclDecision,
} from './domain/topics';
export {
  validatePayload,
  contractOfKind,
  type PayloadRules,
  type PayloadValidation,
  type RawRecord,
  type RawRecordByKind,
} from './domain/payload';
export {
  planIngest,
  deadLetterPlan,
  topicNames,
  headerNames,
  type IngestPlan,
  type IngestRules,
  type DeviceMessage,
  type TopicNames,
} from './domain/ingest';
export { createInFlightLimiter, type InFlightLimiter } from './domain/in-flight';
export { createFrameScanner, type FrameScanner, type ScanResult } from './domain/mqtt-frames';
export { createIngestPipeline, type IngestPipeline, type IngestPipelineDeps, type IngestOutcome } from './adapters/kafka-ingest';
export {
  createAedesBroker,
  type AedesBroker,
  type AedesBrokerSettings,
  type AedesBrokerDeps,
  type TlsSettings,
} from './adapters/aedes-broker';
export { createExternalBrokerBridge, type ExternalBrokerBridge, type ExternalBrokerSettings } from './adapters/external-broker';
export { createRegistryAuthenticator, type DeviceAuthenticator, type AuthenticatedDevice } from './adapters/device-auth';
export { tokenExpiresAtMs } from './domain/token-expiry';
export { createGuardedMqttStream, type GuardedMqttStream, type GuardedStreamOptions } from './adapters/mqtt-stream';
export { createBridgeMetrics, bridgeMetricNames, type BridgeMetrics } from './adapters/metrics';
export { createRedisScaleOut, type RedisScaleOut } from './adapters/redis-scale-out';
export { startBridge, type Bridge, type BridgeOverrides } from './main';
export { registerBridgeCommands } from './cli';
/** The bridge benchmark (`npm run bench -w @zenthos/mqtt-bridge`), for the project's bench command. */
export { runBridgeBench, type BridgeBenchOptions, type BridgeBenchResult, type LoadFigures } from '../bench/bridge-bench';
