export { createTcpProxy, type TcpProxy } from './tcp-proxy';
export { startRegistryStub, ensureSchemaRegistry, type RegistryStub } from './registry-stub';
export { runLoad, nowEpochMs, type LoadDevice, type LoadSettings, type LoadResult } from './mqtt-load';
export {
  DISCONNECT,
  MAX_REMAINING_LENGTH,
  PINGREQ,
  connectReasonCodes,
  connectRefusal,
  connectReturnCodes,
  createPacketIds,
  createPacketReader,
  decodeConnack,
  decodePuback,
  encodeConnect,
  encodePublishQos1,
  packetTypes,
  readRemainingLength,
  remainingLengthSize,
  writeRemainingLength,
  type Connack,
  type ConnectOptions,
  type MqttProtocolVersion,
  type PacketHandler,
  type PacketIds,
  type PacketReader,
  type Puback,
  type PublishLayout,
  type RemainingLength,
} from './mqtt-packets';
export {
  formatUuidV4,
  telemetryTemplate,
  writeEpochSeconds,
  writeUuidV4,
  type TelemetryTemplate,
  type TelemetryTemplateInput,
} from './telemetry-template';
