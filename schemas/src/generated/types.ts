// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.mjs. Do not edit by hand:
// edit the .avsc file and run `npm run generate -w @zenthos/schemas`.
/* eslint-disable */

/** Result of on-device ML inference published on zenthos/{device_model}/{device_id}/inference. Enriched by the stream processors with device registry data. */
export interface InferenceEnriched {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Version of the ML model that produced the result (m-YYYYMMDD-<sha>). */
  model_version: string;
  /** Top predicted label, when the model is a classifier. */
  label: null | string;
  /** Confidence of the top label, between 0 and 1. */
  confidence: null | number;
  /** Score for every label or output the device reports. */
  scores: Record<string, number>;
  /** Any further model output as a JSON document (stored as inference_results.result). */
  result_json: null | string;
  /** On-device inference time in milliseconds. */
  latency_ms: null | number;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
  /** Owner of the device from the device registry; null when the registry has none or the device is unknown. */
  owner: null | string;
  /** Installation location from the device registry; null when unknown. */
  location: null | Location;
  /** Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings. */
  metadata: Record<string, string>;
  /** True when the device was found in the device registry at enrichment time. */
  known_device: boolean;
  /** When the stream processor enriched the message, in UTC epoch milliseconds. */
  enriched_ts: number;
}

/** Where a device is installed, from the device registry. */
export interface Location {
  /** WGS 84 latitude in decimal degrees. */
  latitude: number;
  /** WGS 84 longitude in decimal degrees. */
  longitude: number;
  /** Altitude above sea level in metres, when known. */
  altitude_m: null | number;
  /** Human-readable site name (building, farm, room), when known. */
  site: null | string;
}

/** Result of on-device ML inference published on zenthos/{device_model}/{device_id}/inference. As accepted by the MQTT bridge. */
export interface InferenceRaw {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Version of the ML model that produced the result (m-YYYYMMDD-<sha>). */
  model_version: string;
  /** Top predicted label, when the model is a classifier. */
  label: null | string;
  /** Confidence of the top label, between 0 and 1. */
  confidence: null | number;
  /** Score for every label or output the device reports. */
  scores: Record<string, number>;
  /** Any further model output as a JSON document (stored as inference_results.result). */
  result_json: null | string;
  /** On-device inference time in milliseconds. */
  latency_ms: null | number;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
}

/** Device log line published on zenthos/{device_model}/{device_id}/logs. Enriched by the stream processors with device registry data. */
export interface LogEnriched {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Severity of the log line. */
  level: LogLevel;
  /** The log line as written by the device. */
  message: string;
  /** Firmware component that wrote the line (e.g. wifi, ota, sensor). */
  component: null | string;
  /** Structured key/value context of the log line. */
  attributes: Record<string, string>;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
  /** Owner of the device from the device registry; null when the registry has none or the device is unknown. */
  owner: null | string;
  /** Installation location from the device registry; null when unknown. */
  location: null | Location;
  /** Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings. */
  metadata: Record<string, string>;
  /** True when the device was found in the device registry at enrichment time. */
  known_device: boolean;
  /** When the stream processor enriched the message, in UTC epoch milliseconds. */
  enriched_ts: number;
}

/** Severity of a device log line. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Device log line published on zenthos/{device_model}/{device_id}/logs. As accepted by the MQTT bridge. */
export interface LogRaw {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Severity of the log line. */
  level: LogLevel;
  /** The log line as written by the device. */
  message: string;
  /** Firmware component that wrote the line (e.g. wifi, ota, sensor). */
  component: null | string;
  /** Structured key/value context of the log line. */
  attributes: Record<string, string>;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
}

/** Platform → device release notification: the release the OTA API offers a device changed (a release published for its model, a rollout created or advanced to a stage that includes it, a rollback). The MQTT bridge publishes it as JSON on zenthos/{device_model}/{device_id}/ota (QoS 1, retained); the device then asks GET /firmware/{model}/latest (or /models/...) and verifies what it gets. */
export interface OtaNotification {
  /** UUIDv4 chosen by the OTA API for this notification. */
  message_id: string;
  /** Device the notification is for; also the Kafka record key. */
  device_id: string;
  /** Hardware model of the device; the second level of its MQTT topic. */
  device_model: string;
  /** Which release changed: firmware image or ML model. The device checks only this kind. */
  kind: ReleaseKind;
  /** Version now offered to the device (firmware vMAJOR.MINOR.PATCH or model m-YYYYMMDD-<sha>); null when no release is offered any more. A hint only: the device trusts nothing but the signed metadata it fetches. */
  version: null | string;
  /** What changed the offer: published, yanked, rollout_created, rollout_advanced, rollout_completed, rollout_resumed, rollout_aborted, rollout_paused, key_revoked (the signing key of the offered release was revoked), tags_changed (the device's tags moved it into or out of a rollout). */
  reason: string;
  /** Rollout that offers the release to this device, when one does. */
  rollout_id: null | string;
  /** When the OTA API made the change, in UTC epoch seconds. */
  timestamp: number;
}

/** Kind of artifact a release carries. */
export type ReleaseKind = 'firmware' | 'model';

/** Device status published on zenthos/{device_model}/{device_id}/status, including OTA state reports. Enriched by the stream processors with device registry data. */
export interface StatusEnriched {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Reported device state; offline is usually published as the MQTT last will. */
  state: DeviceState;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one. */
  model_version: null | string;
  /** Seconds since the device booted. */
  uptime_s: null | number;
  /** Wi-Fi signal strength in dBm. */
  rssi_dbm: null | number;
  /** Free heap memory in bytes. */
  free_heap_bytes: null | number;
  /** OTA state report (downloading, installed, failed, rolled_back) with the release version; null when this status is not about an update. */
  ota: null | OtaReport;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
  /** Owner of the device from the device registry; null when the registry has none or the device is unknown. */
  owner: null | string;
  /** Installation location from the device registry; null when unknown. */
  location: null | Location;
  /** Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings. */
  metadata: Record<string, string>;
  /** True when the device was found in the device registry at enrichment time. */
  known_device: boolean;
  /** When the stream processor enriched the message, in UTC epoch milliseconds. */
  enriched_ts: number;
}

/** Device connectivity and lifecycle state. */
export type DeviceState = 'unknown' | 'online' | 'offline' | 'booting' | 'updating' | 'error';

/** Progress of an over-the-air update as reported by the device. */
export interface OtaReport {
  /** OTA state: downloading, installed, failed or rolled_back; unknown is what an older reader sees for a state it does not know. */
  state: OtaState;
  /** Version of the release this report is about (firmware vMAJOR.MINOR.PATCH or model m-YYYYMMDD-<sha>). */
  release_version: string;
  /** Which artifact the update is for: firmware image or ML model. */
  artifact: OtaArtifact;
  /** Rollout that offered this release, when the device knows it. */
  rollout_id: null | string;
  /** Download progress in percent (0-100) while downloading. */
  progress_pct: null | number;
  /** Reason of a failure or rollback, as reported by the device. */
  error: null | string;
}

/** OTA lifecycle state. */
export type OtaState = 'unknown' | 'downloading' | 'installed' | 'failed' | 'rolled_back';

/** Kind of artifact being updated. */
export type OtaArtifact = 'firmware' | 'model';

/** Device status published on zenthos/{device_model}/{device_id}/status, including OTA state reports. As accepted by the MQTT bridge. */
export interface StatusRaw {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Reported device state; offline is usually published as the MQTT last will. */
  state: DeviceState;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one. */
  model_version: null | string;
  /** Seconds since the device booted. */
  uptime_s: null | number;
  /** Wi-Fi signal strength in dBm. */
  rssi_dbm: null | number;
  /** Free heap memory in bytes. */
  free_heap_bytes: null | number;
  /** OTA state report (downloading, installed, failed, rolled_back) with the release version; null when this status is not about an update. */
  ota: null | OtaReport;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
}

/** Sensor readings published by a device on zenthos/{device_model}/{device_id}/telemetry (spec §5). Enriched by the stream processors with device registry data. */
export interface TelemetryEnriched {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Sensor readings by name (e.g. temperature in degrees Celsius, humidity in percent); units follow the sensor name conventions of the device model. */
  sensors: Record<string, number>;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one. */
  model_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
  /** Owner of the device from the device registry; null when the registry has none or the device is unknown. */
  owner: null | string;
  /** Installation location from the device registry; null when unknown. */
  location: null | Location;
  /** Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings. */
  metadata: Record<string, string>;
  /** True when the device was found in the device registry at enrichment time. */
  known_device: boolean;
  /** When the stream processor enriched the message, in UTC epoch milliseconds. */
  enriched_ts: number;
}

/** Sensor readings published by a device on zenthos/{device_model}/{device_id}/telemetry (spec §5). As accepted by the MQTT bridge. */
export interface TelemetryRaw {
  /** UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end. */
  message_id: string;
  /** Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username. */
  device_id: string;
  /** Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic. */
  device_model: string;
  /** When the device produced the message, in UTC epoch seconds (device clock). */
  timestamp: number;
  /** Sensor readings by name (e.g. temperature in degrees Celsius, humidity in percent); units follow the sensor name conventions of the device model. */
  sensors: Record<string, number>;
  /** Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it. */
  firmware_version: null | string;
  /** Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one. */
  model_version: null | string;
  /** When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device. */
  ingest_ts: number;
}
