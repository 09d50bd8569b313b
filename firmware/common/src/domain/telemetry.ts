import type { SensorReadings } from './ports';

/** Who the device is; both parts appear in every topic and payload. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly deviceModel: string;
}

/** Device → platform channels, and the platform → device OTA notification channel. */
export type TopicChannel = 'telemetry' | 'status' | 'inference' | 'logs' | 'ota';

/** `zenthos/{device_model}/{device_id}/{channel}` (DESIGN.md, MQTT). */
export const topicFor = (identity: DeviceIdentity, channel: TopicChannel): string =>
  `zenthos/${identity.deviceModel}/${identity.deviceId}/${channel}`;

/** Telemetry payload of spec §5. */
export interface TelemetryPayload {
  readonly message_id: string;
  readonly device_id: string;
  readonly device_model: string;
  /** UTC epoch seconds (spec §15). */
  readonly timestamp: number;
  readonly sensors: SensorReadings;
  readonly firmware_version: string;
  /** `null` while no ML model has been installed (Avro `["null","string"]`). */
  readonly model_version: string | null;
}

/** Inputs of one telemetry message. */
export interface TelemetryInput {
  readonly identity: DeviceIdentity;
  readonly messageId: string;
  readonly nowMs: number;
  readonly sensors: SensorReadings;
  readonly firmwareVersion: string;
  readonly modelVersion: string | undefined;
}

/** Epoch seconds, whole: spec §15 timestamps are integers. */
export const epochSeconds = (nowMs: number): number => Math.floor(nowMs / 1000);

/**
 * Builds the spec §5 telemetry payload. Readings that are not finite numbers are left out
 * (JSON has no NaN) and returned in `rejected` so the caller can count them.
 */
export const buildTelemetry = (input: TelemetryInput): { payload: TelemetryPayload; rejected: string[] } => {
  const sensors: Record<string, number> = {};
  const rejected: string[] = [];
  for (const [name, value] of Object.entries(input.sensors)) {
    if (typeof value === 'number' && Number.isFinite(value)) sensors[name] = value;
    else rejected.push(name);
  }
  const payload: TelemetryPayload = {
    message_id: input.messageId,
    device_id: input.identity.deviceId,
    device_model: input.identity.deviceModel,
    timestamp: epochSeconds(input.nowMs),
    sensors,
    firmware_version: input.firmwareVersion,
    model_version: input.modelVersion ?? null,
  };
  return { payload, rejected };
};
