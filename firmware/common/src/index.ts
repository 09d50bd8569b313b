export { firmwareErrorCodes, FirmwareError, isFirmwareError, toFirmwareError, type FirmwareErrorCode } from './errors';
export type {
  BootInfo,
  ClockPort,
  CryptoPort,
  DevicePorts,
  HttpPort,
  HttpRequest,
  HttpResult,
  HttpSink,
  ImageTag,
  InferencePort,
  InferenceResult,
  MaybePromise,
  MqttEvents,
  MqttPort,
  RandomPort,
  SensorReadings,
  SensorsPort,
  Sha256,
  SlotStore,
} from './domain/ports';
export { createDevice, type Device, type DeviceCounters, type DeviceEvent, type DeviceSettings } from './domain/device';
export {
  createOtaClient,
  type BootOutcome,
  type CheckOutcome,
  type OtaClient,
  type OtaClientPorts,
  type OtaClientSettings,
  type OtaPhase,
  type OtaReport,
  type OtaReportState,
} from './domain/ota-client';
export {
  parseReleaseMetadata,
  verifyRelease,
  decodePublicKey,
  type ReleaseManifest,
  type ReleaseMetadata,
  type ReleaseCheckContext,
} from './domain/manifest';
export { canonicalJson } from './domain/canonical-json';
export { compareVersions, isValidVersion, type ReleaseKind } from './domain/version';
export { buildTelemetry, topicFor, epochSeconds, type DeviceIdentity, type TelemetryPayload, type TopicChannel } from './domain/telemetry';
export { createOfflineBuffer, type OfflineBuffer, type QueuedMessage } from './domain/offline-buffer';
export { createPublisher, type Publisher, type PublishCounters, type PublisherSettings } from './domain/publisher';
export { uuidV4, uuidV4Pattern } from './domain/uuid';
export { utf8Encode, utf8Decode, base64Encode, base64Decode, hexEncode, concatBytes } from './domain/bytes';
export { createSoftwareCrypto } from './domain/software-crypto';
export { createSha256, sha512 } from './domain/sha2';
export { ed25519Verify } from './domain/ed25519';
export {
  buildStatus,
  buildInference,
  type StatusPayload,
  type InferencePayload,
  type DeviceState,
  type MessageContext,
} from './domain/messages';
export { createMemorySlotStore, type MemorySlotStore, type MemorySlotStoreSettings } from './adapters/memory-slot-store';
export { createLinearModelInference, parseLinearModel, runLinearModel, type LinearModel } from './domain/linear-model';
