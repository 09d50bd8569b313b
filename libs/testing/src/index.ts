export { createTcpProxy, type TcpProxy } from './tcp-proxy';
export { createKafkaProxy, type KafkaProxy } from './kafka-proxy';
export { startRegistryStub, ensureSchemaRegistry, type RegistryStub } from './registry-stub';
export { runLoad, nowEpochMs, type LoadDevice, type LoadPacing, type LoadSettings, type LoadResult } from './mqtt-load';
export { DEFAULT_CATCH_UP_MS, createPacer, defaultMaxBurst, staggeredStartMs, type Pacer, type PacerSettings } from './pacing';
export { startLoadProcess, type LoadProcess, type LoadRunSettings, type LoadChildMessage } from './load-process';
export { startSubscriber, type MqttSubscriber, type SubscriberSettings } from './mqtt-subscriber';
export { openConnection, parseMqttUrl, type ConnectSettings, type OpenConnection } from './mqtt-connection';
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
  decodeSuback,
  encodeConnect,
  encodePublishQos1,
  encodeSubscribe,
  packetTypes,
  readPublish,
  readRemainingLength,
  remainingLengthSize,
  writePuback,
  writeRemainingLength,
  type Connack,
  type ConnectOptions,
  type MqttProtocolVersion,
  type PacketHandler,
  type PacketIds,
  type PacketReader,
  type Puback,
  type PublishLayout,
  type PublishView,
  type RemainingLength,
  type Suback,
} from './mqtt-packets';
export {
  formatUuidV4,
  readMessageId,
  telemetryTemplate,
  writeEpochSeconds,
  writeUuidV4,
  type TelemetryTemplate,
  type TelemetryTemplateInput,
} from './telemetry-template';
