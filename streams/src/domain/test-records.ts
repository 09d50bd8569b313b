import type { TelemetryRaw } from '@zenthos/schemas';
import type { StreamRecord } from './record';

/** A valid telemetry record at `nowS`, for tests and benchmarks; `over` replaces fields. */
export const telemetryRecord = (over: Partial<TelemetryRaw> = {}, nowS = 1_764_460_800): StreamRecord<TelemetryRaw> => {
  const value: TelemetryRaw = {
    message_id: '1b4e28ba-2fa1-41d2-883f-0016d3cca427',
    device_id: 'esp32-s3-001',
    device_model: 'esp32-s3',
    timestamp: nowS,
    sensors: { temperature: 26.7, humidity: 61.2 },
    firmware_version: 'v0.1.0',
    model_version: 'm-20250730-abc',
    ingest_ts: nowS * 1000,
    ...over,
  };
  return { key: value.device_id, value, timestampMs: nowS * 1000, headers: {} };
};
