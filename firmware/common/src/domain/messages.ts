import type { OtaReport } from './ota-client';
import type { InferenceResult } from './ports';
import { epochSeconds, type DeviceIdentity } from './telemetry';

/** `state` of the `status.raw` Avro record (schemas/avro/status-raw.avsc). */
export type DeviceState = 'unknown' | 'online' | 'offline' | 'booting' | 'updating' | 'error';

/** Status payload published on `zenthos/{model}/{id}/status`, shaped like `status.raw`. */
export interface StatusPayload {
  readonly message_id: string;
  readonly device_id: string;
  readonly device_model: string;
  readonly timestamp: number;
  readonly state: DeviceState;
  readonly firmware_version: string | null;
  readonly model_version: string | null;
  readonly uptime_s: number | null;
  /** The OTA report this status carries, `null` for a plain status. */
  readonly ota: {
    readonly state: OtaReport['state'];
    readonly release_version: string;
    readonly artifact: OtaReport['kind'];
    readonly error: string | null;
  } | null;
}

/** Common inputs of a device → platform message. */
export interface MessageContext {
  readonly identity: DeviceIdentity;
  readonly messageId: string;
  readonly nowMs: number;
  readonly firmwareVersion: string;
  readonly modelVersion: string | undefined;
}

/**
 * Builds a status message. With an OTA report the device state is `updating` while downloading
 * and `online` otherwise: a failed or rolled back update leaves the device running its previous
 * image, which is healthy.
 */
export const buildStatus = (
  ctx: MessageContext & { readonly uptimeS?: number },
  report?: OtaReport,
  state?: DeviceState,
): StatusPayload => ({
  message_id: ctx.messageId,
  device_id: ctx.identity.deviceId,
  device_model: ctx.identity.deviceModel,
  timestamp: epochSeconds(ctx.nowMs),
  state: state ?? (report?.state === 'downloading' ? 'updating' : 'online'),
  firmware_version: ctx.firmwareVersion,
  model_version: ctx.modelVersion ?? null,
  uptime_s: ctx.uptimeS ?? null,
  ota: report
    ? {
        state: report.state,
        release_version: report.version,
        artifact: report.kind,
        error: report.reason === undefined ? null : report.reason,
      }
    : null,
});

/** Inference payload published on `zenthos/{model}/{id}/inference`, shaped like `inference.raw`. */
export interface InferencePayload {
  readonly message_id: string;
  readonly device_id: string;
  readonly device_model: string;
  readonly timestamp: number;
  readonly model_version: string;
  readonly label: string | null;
  readonly confidence: number;
  readonly scores: Readonly<Record<string, number>>;
  readonly result_json: string | null;
  readonly latency_ms: number | null;
  readonly firmware_version: string;
}

/** Builds an inference message from one model run. */
export const buildInference = (
  ctx: MessageContext & { readonly modelVersion: string },
  out: InferenceResult,
  latencyMs?: number,
): InferencePayload => ({
  message_id: ctx.messageId,
  device_id: ctx.identity.deviceId,
  device_model: ctx.identity.deviceModel,
  timestamp: epochSeconds(ctx.nowMs),
  model_version: ctx.modelVersion,
  label: out.label ?? null,
  confidence: out.confidence,
  scores: out.scores ?? {},
  result_json: out.result === undefined ? null : JSON.stringify(out.result),
  latency_ms: latencyMs ?? null,
  firmware_version: ctx.firmwareVersion,
});
