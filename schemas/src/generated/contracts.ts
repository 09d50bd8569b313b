// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.mjs. Do not edit by hand:
// edit the .avsc file and run `npm run generate -w @zenthos/schemas`.
/* eslint-disable */
import type * as types from './types';

/** Every contract of schemas/avro by file name: its topic, its subject (TopicNameStrategy) and its schema. */
export const contracts = {
  'inference-enriched': {
    key: 'inference-enriched',
    topic: 'zenthos.inference.enriched',
    subject: 'zenthos.inference.enriched-value',
    typeName: 'InferenceEnriched',
    schema: {
      type: 'record',
      name: 'InferenceEnriched',
      namespace: 'io.zenthos',
      doc: 'Result of on-device ML inference published on zenthos/{device_model}/{device_id}/inference. Enriched by the stream processors with device registry data.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        { name: 'model_version', type: 'string', doc: 'Version of the ML model that produced the result (m-YYYYMMDD-<sha>).' },
        { name: 'label', type: ['null', 'string'], default: null, doc: 'Top predicted label, when the model is a classifier.' },
        { name: 'confidence', type: ['null', 'double'], default: null, doc: 'Confidence of the top label, between 0 and 1.' },
        {
          name: 'scores',
          type: { type: 'map', values: 'double' },
          default: {},
          doc: 'Score for every label or output the device reports.',
        },
        {
          name: 'result_json',
          type: ['null', 'string'],
          default: null,
          doc: 'Any further model output as a JSON document (stored as inference_results.result).',
        },
        { name: 'latency_ms', type: ['null', 'double'], default: null, doc: 'On-device inference time in milliseconds.' },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
        {
          name: 'owner',
          type: ['null', 'string'],
          default: null,
          doc: 'Owner of the device from the device registry; null when the registry has none or the device is unknown.',
        },
        {
          name: 'location',
          type: [
            'null',
            {
              type: 'record',
              name: 'Location',
              doc: 'Where a device is installed, from the device registry.',
              fields: [
                { name: 'latitude', type: 'double', doc: 'WGS 84 latitude in decimal degrees.' },
                { name: 'longitude', type: 'double', doc: 'WGS 84 longitude in decimal degrees.' },
                { name: 'altitude_m', type: ['null', 'double'], default: null, doc: 'Altitude above sea level in metres, when known.' },
                {
                  name: 'site',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Human-readable site name (building, farm, room), when known.',
                },
              ],
            },
          ],
          default: null,
          doc: 'Installation location from the device registry; null when unknown.',
        },
        {
          name: 'metadata',
          type: { type: 'map', values: 'string' },
          default: {},
          doc: 'Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings.',
        },
        {
          name: 'known_device',
          type: 'boolean',
          default: false,
          doc: 'True when the device was found in the device registry at enrichment time.',
        },
        {
          name: 'enriched_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the stream processor enriched the message, in UTC epoch milliseconds.',
        },
      ],
    },
  },
  'inference-raw': {
    key: 'inference-raw',
    topic: 'zenthos.inference.raw',
    subject: 'zenthos.inference.raw-value',
    typeName: 'InferenceRaw',
    schema: {
      type: 'record',
      name: 'InferenceRaw',
      namespace: 'io.zenthos',
      doc: 'Result of on-device ML inference published on zenthos/{device_model}/{device_id}/inference. As accepted by the MQTT bridge.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        { name: 'model_version', type: 'string', doc: 'Version of the ML model that produced the result (m-YYYYMMDD-<sha>).' },
        { name: 'label', type: ['null', 'string'], default: null, doc: 'Top predicted label, when the model is a classifier.' },
        { name: 'confidence', type: ['null', 'double'], default: null, doc: 'Confidence of the top label, between 0 and 1.' },
        {
          name: 'scores',
          type: { type: 'map', values: 'double' },
          default: {},
          doc: 'Score for every label or output the device reports.',
        },
        {
          name: 'result_json',
          type: ['null', 'string'],
          default: null,
          doc: 'Any further model output as a JSON document (stored as inference_results.result).',
        },
        { name: 'latency_ms', type: ['null', 'double'], default: null, doc: 'On-device inference time in milliseconds.' },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
      ],
    },
  },
  'logs-enriched': {
    key: 'logs-enriched',
    topic: 'zenthos.logs.enriched',
    subject: 'zenthos.logs.enriched-value',
    typeName: 'LogEnriched',
    schema: {
      type: 'record',
      name: 'LogEnriched',
      namespace: 'io.zenthos',
      doc: 'Device log line published on zenthos/{device_model}/{device_id}/logs. Enriched by the stream processors with device registry data.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'level',
          type: {
            type: 'enum',
            name: 'LogLevel',
            doc: 'Severity of a device log line.',
            symbols: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
            default: 'info',
          },
          doc: 'Severity of the log line.',
        },
        { name: 'message', type: 'string', doc: 'The log line as written by the device.' },
        {
          name: 'component',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware component that wrote the line (e.g. wifi, ota, sensor).',
        },
        { name: 'attributes', type: { type: 'map', values: 'string' }, default: {}, doc: 'Structured key/value context of the log line.' },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
        {
          name: 'owner',
          type: ['null', 'string'],
          default: null,
          doc: 'Owner of the device from the device registry; null when the registry has none or the device is unknown.',
        },
        {
          name: 'location',
          type: [
            'null',
            {
              type: 'record',
              name: 'Location',
              doc: 'Where a device is installed, from the device registry.',
              fields: [
                { name: 'latitude', type: 'double', doc: 'WGS 84 latitude in decimal degrees.' },
                { name: 'longitude', type: 'double', doc: 'WGS 84 longitude in decimal degrees.' },
                { name: 'altitude_m', type: ['null', 'double'], default: null, doc: 'Altitude above sea level in metres, when known.' },
                {
                  name: 'site',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Human-readable site name (building, farm, room), when known.',
                },
              ],
            },
          ],
          default: null,
          doc: 'Installation location from the device registry; null when unknown.',
        },
        {
          name: 'metadata',
          type: { type: 'map', values: 'string' },
          default: {},
          doc: 'Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings.',
        },
        {
          name: 'known_device',
          type: 'boolean',
          default: false,
          doc: 'True when the device was found in the device registry at enrichment time.',
        },
        {
          name: 'enriched_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the stream processor enriched the message, in UTC epoch milliseconds.',
        },
      ],
    },
  },
  'logs-raw': {
    key: 'logs-raw',
    topic: 'zenthos.logs.raw',
    subject: 'zenthos.logs.raw-value',
    typeName: 'LogRaw',
    schema: {
      type: 'record',
      name: 'LogRaw',
      namespace: 'io.zenthos',
      doc: 'Device log line published on zenthos/{device_model}/{device_id}/logs. As accepted by the MQTT bridge.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'level',
          type: {
            type: 'enum',
            name: 'LogLevel',
            doc: 'Severity of a device log line.',
            symbols: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
            default: 'info',
          },
          doc: 'Severity of the log line.',
        },
        { name: 'message', type: 'string', doc: 'The log line as written by the device.' },
        {
          name: 'component',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware component that wrote the line (e.g. wifi, ota, sensor).',
        },
        { name: 'attributes', type: { type: 'map', values: 'string' }, default: {}, doc: 'Structured key/value context of the log line.' },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
      ],
    },
  },
  'ota-notifications': {
    key: 'ota-notifications',
    topic: 'zenthos.ota.notifications',
    subject: 'zenthos.ota.notifications-value',
    typeName: 'OtaNotification',
    schema: {
      type: 'record',
      name: 'OtaNotification',
      namespace: 'io.zenthos',
      doc: 'Platform → device release notification: the release the OTA API offers a device changed (a release published for its model, a rollout created or advanced to a stage that includes it, a rollback). The MQTT bridge publishes it as JSON on zenthos/{device_model}/{device_id}/ota (QoS 1, retained); the device then asks GET /firmware/{model}/latest (or /models/...) and verifies what it gets.',
      fields: [
        { name: 'message_id', type: { type: 'string', logicalType: 'uuid' }, doc: 'UUIDv4 chosen by the OTA API for this notification.' },
        { name: 'device_id', type: 'string', doc: 'Device the notification is for; also the Kafka record key.' },
        { name: 'device_model', type: 'string', doc: 'Hardware model of the device; the second level of its MQTT topic.' },
        {
          name: 'kind',
          type: {
            type: 'enum',
            name: 'ReleaseKind',
            doc: 'Kind of artifact a release carries.',
            symbols: ['firmware', 'model'],
            default: 'firmware',
          },
          doc: 'Which release changed: firmware image or ML model. The device checks only this kind.',
        },
        {
          name: 'version',
          type: ['null', 'string'],
          default: null,
          doc: 'Version now offered to the device (firmware vMAJOR.MINOR.PATCH or model m-YYYYMMDD-<sha>); null when no release is offered any more. A hint only: the device trusts nothing but the signed metadata it fetches.',
        },
        {
          name: 'reason',
          type: 'string',
          doc: "What changed the offer: published, yanked, rollout_created, rollout_advanced, rollout_completed, rollout_resumed, rollout_aborted, rollout_paused, key_revoked (the signing key of the offered release was revoked), tags_changed (the device's tags moved it into or out of a rollout).",
        },
        {
          name: 'rollout_id',
          type: ['null', 'string'],
          default: null,
          doc: 'Rollout that offers the release to this device, when one does.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the OTA API made the change, in UTC epoch seconds.' },
      ],
    },
  },
  'status-enriched': {
    key: 'status-enriched',
    topic: 'zenthos.status.enriched',
    subject: 'zenthos.status.enriched-value',
    typeName: 'StatusEnriched',
    schema: {
      type: 'record',
      name: 'StatusEnriched',
      namespace: 'io.zenthos',
      doc: 'Device status published on zenthos/{device_model}/{device_id}/status, including OTA state reports. Enriched by the stream processors with device registry data.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'state',
          type: {
            type: 'enum',
            name: 'DeviceState',
            doc: 'Device connectivity and lifecycle state.',
            symbols: ['unknown', 'online', 'offline', 'booting', 'updating', 'error'],
            default: 'unknown',
          },
          doc: 'Reported device state; offline is usually published as the MQTT last will.',
        },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'model_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one.',
        },
        { name: 'uptime_s', type: ['null', 'long'], default: null, doc: 'Seconds since the device booted.' },
        { name: 'rssi_dbm', type: ['null', 'int'], default: null, doc: 'Wi-Fi signal strength in dBm.' },
        { name: 'free_heap_bytes', type: ['null', 'long'], default: null, doc: 'Free heap memory in bytes.' },
        {
          name: 'ota',
          type: [
            'null',
            {
              type: 'record',
              name: 'OtaReport',
              doc: 'Progress of an over-the-air update as reported by the device.',
              fields: [
                {
                  name: 'state',
                  type: {
                    type: 'enum',
                    name: 'OtaState',
                    doc: 'OTA lifecycle state.',
                    symbols: ['unknown', 'downloading', 'installed', 'failed', 'rolled_back'],
                    default: 'unknown',
                  },
                  doc: 'OTA state: downloading, installed, failed or rolled_back; unknown is what an older reader sees for a state it does not know.',
                },
                {
                  name: 'release_version',
                  type: 'string',
                  doc: 'Version of the release this report is about (firmware vMAJOR.MINOR.PATCH or model m-YYYYMMDD-<sha>).',
                },
                {
                  name: 'artifact',
                  type: {
                    type: 'enum',
                    name: 'OtaArtifact',
                    doc: 'Kind of artifact being updated.',
                    symbols: ['firmware', 'model'],
                    default: 'firmware',
                  },
                  default: 'firmware',
                  doc: 'Which artifact the update is for: firmware image or ML model.',
                },
                {
                  name: 'rollout_id',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Rollout that offered this release, when the device knows it.',
                },
                {
                  name: 'progress_pct',
                  type: ['null', 'int'],
                  default: null,
                  doc: 'Download progress in percent (0-100) while downloading.',
                },
                {
                  name: 'error',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Reason of a failure or rollback, as reported by the device.',
                },
              ],
            },
          ],
          default: null,
          doc: 'OTA state report (downloading, installed, failed, rolled_back) with the release version; null when this status is not about an update.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
        {
          name: 'owner',
          type: ['null', 'string'],
          default: null,
          doc: 'Owner of the device from the device registry; null when the registry has none or the device is unknown.',
        },
        {
          name: 'location',
          type: [
            'null',
            {
              type: 'record',
              name: 'Location',
              doc: 'Where a device is installed, from the device registry.',
              fields: [
                { name: 'latitude', type: 'double', doc: 'WGS 84 latitude in decimal degrees.' },
                { name: 'longitude', type: 'double', doc: 'WGS 84 longitude in decimal degrees.' },
                { name: 'altitude_m', type: ['null', 'double'], default: null, doc: 'Altitude above sea level in metres, when known.' },
                {
                  name: 'site',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Human-readable site name (building, farm, room), when known.',
                },
              ],
            },
          ],
          default: null,
          doc: 'Installation location from the device registry; null when unknown.',
        },
        {
          name: 'metadata',
          type: { type: 'map', values: 'string' },
          default: {},
          doc: 'Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings.',
        },
        {
          name: 'known_device',
          type: 'boolean',
          default: false,
          doc: 'True when the device was found in the device registry at enrichment time.',
        },
        {
          name: 'enriched_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the stream processor enriched the message, in UTC epoch milliseconds.',
        },
      ],
    },
  },
  'status-raw': {
    key: 'status-raw',
    topic: 'zenthos.status.raw',
    subject: 'zenthos.status.raw-value',
    typeName: 'StatusRaw',
    schema: {
      type: 'record',
      name: 'StatusRaw',
      namespace: 'io.zenthos',
      doc: 'Device status published on zenthos/{device_model}/{device_id}/status, including OTA state reports. As accepted by the MQTT bridge.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'state',
          type: {
            type: 'enum',
            name: 'DeviceState',
            doc: 'Device connectivity and lifecycle state.',
            symbols: ['unknown', 'online', 'offline', 'booting', 'updating', 'error'],
            default: 'unknown',
          },
          doc: 'Reported device state; offline is usually published as the MQTT last will.',
        },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'model_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one.',
        },
        { name: 'uptime_s', type: ['null', 'long'], default: null, doc: 'Seconds since the device booted.' },
        { name: 'rssi_dbm', type: ['null', 'int'], default: null, doc: 'Wi-Fi signal strength in dBm.' },
        { name: 'free_heap_bytes', type: ['null', 'long'], default: null, doc: 'Free heap memory in bytes.' },
        {
          name: 'ota',
          type: [
            'null',
            {
              type: 'record',
              name: 'OtaReport',
              doc: 'Progress of an over-the-air update as reported by the device.',
              fields: [
                {
                  name: 'state',
                  type: {
                    type: 'enum',
                    name: 'OtaState',
                    doc: 'OTA lifecycle state.',
                    symbols: ['unknown', 'downloading', 'installed', 'failed', 'rolled_back'],
                    default: 'unknown',
                  },
                  doc: 'OTA state: downloading, installed, failed or rolled_back; unknown is what an older reader sees for a state it does not know.',
                },
                {
                  name: 'release_version',
                  type: 'string',
                  doc: 'Version of the release this report is about (firmware vMAJOR.MINOR.PATCH or model m-YYYYMMDD-<sha>).',
                },
                {
                  name: 'artifact',
                  type: {
                    type: 'enum',
                    name: 'OtaArtifact',
                    doc: 'Kind of artifact being updated.',
                    symbols: ['firmware', 'model'],
                    default: 'firmware',
                  },
                  default: 'firmware',
                  doc: 'Which artifact the update is for: firmware image or ML model.',
                },
                {
                  name: 'rollout_id',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Rollout that offered this release, when the device knows it.',
                },
                {
                  name: 'progress_pct',
                  type: ['null', 'int'],
                  default: null,
                  doc: 'Download progress in percent (0-100) while downloading.',
                },
                {
                  name: 'error',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Reason of a failure or rollback, as reported by the device.',
                },
              ],
            },
          ],
          default: null,
          doc: 'OTA state report (downloading, installed, failed, rolled_back) with the release version; null when this status is not about an update.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
      ],
    },
  },
  'telemetry-enriched': {
    key: 'telemetry-enriched',
    topic: 'zenthos.telemetry.enriched',
    subject: 'zenthos.telemetry.enriched-value',
    typeName: 'TelemetryEnriched',
    schema: {
      type: 'record',
      name: 'TelemetryEnriched',
      namespace: 'io.zenthos',
      doc: 'Sensor readings published by a device on zenthos/{device_model}/{device_id}/telemetry (spec §5). Enriched by the stream processors with device registry data.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'sensors',
          type: { type: 'map', values: 'double' },
          doc: 'Sensor readings by name (e.g. temperature in degrees Celsius, humidity in percent); units follow the sensor name conventions of the device model.',
        },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'model_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
        {
          name: 'owner',
          type: ['null', 'string'],
          default: null,
          doc: 'Owner of the device from the device registry; null when the registry has none or the device is unknown.',
        },
        {
          name: 'location',
          type: [
            'null',
            {
              type: 'record',
              name: 'Location',
              doc: 'Where a device is installed, from the device registry.',
              fields: [
                { name: 'latitude', type: 'double', doc: 'WGS 84 latitude in decimal degrees.' },
                { name: 'longitude', type: 'double', doc: 'WGS 84 longitude in decimal degrees.' },
                { name: 'altitude_m', type: ['null', 'double'], default: null, doc: 'Altitude above sea level in metres, when known.' },
                {
                  name: 'site',
                  type: ['null', 'string'],
                  default: null,
                  doc: 'Human-readable site name (building, farm, room), when known.',
                },
              ],
            },
          ],
          default: null,
          doc: 'Installation location from the device registry; null when unknown.',
        },
        {
          name: 'metadata',
          type: { type: 'map', values: 'string' },
          default: {},
          doc: 'Free-form device registry metadata (devices.metadata), flattened to string values; nested JSON values are JSON-encoded strings.',
        },
        {
          name: 'known_device',
          type: 'boolean',
          default: false,
          doc: 'True when the device was found in the device registry at enrichment time.',
        },
        {
          name: 'enriched_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the stream processor enriched the message, in UTC epoch milliseconds.',
        },
      ],
    },
  },
  'telemetry-raw': {
    key: 'telemetry-raw',
    topic: 'zenthos.telemetry.raw',
    subject: 'zenthos.telemetry.raw-value',
    typeName: 'TelemetryRaw',
    schema: {
      type: 'record',
      name: 'TelemetryRaw',
      namespace: 'io.zenthos',
      doc: 'Sensor readings published by a device on zenthos/{device_model}/{device_id}/telemetry (spec §5). As accepted by the MQTT bridge.',
      fields: [
        {
          name: 'message_id',
          type: { type: 'string', logicalType: 'uuid' },
          doc: 'UUIDv4 chosen by the device for this message; the idempotency key that removes duplicates end to end.',
        },
        {
          name: 'device_id',
          type: 'string',
          doc: 'Device identifier, e.g. esp32-s3-001; also the Kafka record key and the MQTT username.',
        },
        {
          name: 'device_model',
          type: 'string',
          doc: 'Hardware model of the device, e.g. esp32-s3 or esp32-cam; taken from the MQTT topic.',
        },
        { name: 'timestamp', type: 'long', doc: 'When the device produced the message, in UTC epoch seconds (device clock).' },
        {
          name: 'sensors',
          type: { type: 'map', values: 'double' },
          doc: 'Sensor readings by name (e.g. temperature in degrees Celsius, humidity in percent); units follow the sensor name conventions of the device model.',
        },
        {
          name: 'firmware_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Firmware version running on the device (vMAJOR.MINOR.PATCH), when the device reports it.',
        },
        {
          name: 'model_version',
          type: ['null', 'string'],
          default: null,
          doc: 'Version of the embedded ML model (m-YYYYMMDD-<sha>), when the device runs one.',
        },
        {
          name: 'ingest_ts',
          type: { type: 'long', logicalType: 'timestamp-millis' },
          doc: 'When the platform accepted the message, in UTC epoch milliseconds (bridge clock); set by the platform, never by the device.',
        },
      ],
    },
  },
} as const;

/** A contract's file name, e.g. `telemetry-raw`. */
export type ContractKey = keyof typeof contracts;

/** The TypeScript type of a record of each contract, by file name. */
export interface ContractValueByKey {
  'inference-enriched': types.InferenceEnriched;
  'inference-raw': types.InferenceRaw;
  'logs-enriched': types.LogEnriched;
  'logs-raw': types.LogRaw;
  'ota-notifications': types.OtaNotification;
  'status-enriched': types.StatusEnriched;
  'status-raw': types.StatusRaw;
  'telemetry-enriched': types.TelemetryEnriched;
  'telemetry-raw': types.TelemetryRaw;
}

/** The TypeScript type of a record of each contract, by subject. */
export interface ContractValueBySubject {
  'zenthos.inference.enriched-value': types.InferenceEnriched;
  'zenthos.inference.raw-value': types.InferenceRaw;
  'zenthos.logs.enriched-value': types.LogEnriched;
  'zenthos.logs.raw-value': types.LogRaw;
  'zenthos.ota.notifications-value': types.OtaNotification;
  'zenthos.status.enriched-value': types.StatusEnriched;
  'zenthos.status.raw-value': types.StatusRaw;
  'zenthos.telemetry.enriched-value': types.TelemetryEnriched;
  'zenthos.telemetry.raw-value': types.TelemetryRaw;
}
