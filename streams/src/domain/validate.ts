import { ZenthosError } from '@zenthos/core';
import type { TelemetryRaw } from '@zenthos/schemas';
import type { RawRecord, RecordKind } from './kinds';
import type { Clock, Outcome, StreamRecord } from './record';

/** Inclusive `[min, max]` of a sensor reading. */
export type SensorRange = readonly [min: number, max: number];

/**
 * Allowed sensor ranges by device model and sensor name; the model `*` applies to every model
 * that does not list the sensor itself. Sensors not listed are accepted as they are.
 */
export type SensorRanges = Readonly<Record<string, Readonly<Record<string, SensorRange>>>>;

/** Settings of {@link createValidate}. */
export interface ValidateSettings {
  readonly kind: RecordKind;
  /** How far a device clock may run ahead of ours. */
  readonly maxFutureSkewS: number;
  /** How old a message may be when it reaches the processor (devices buffer while offline). */
  readonly maxAgeS: number;
  readonly sensorRanges: SensorRanges;
}

// RFC 9562 §5.4: version nibble 4, variant bits 10xx. The spec (§15) requires UUIDv4 message ids.
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

const missing = (field: string, why = 'is missing or empty'): ZenthosError =>
  new ZenthosError('ZEN_REQUIRED_FIELD_MISSING', `${field} ${why}`);

const nonEmpty = (v: unknown): boolean => typeof v === 'string' && v.trim().length > 0;

/** Fields each kind needs beyond what its Avro schema already enforces. */
const requiredByKind: Readonly<Record<RecordKind, (v: RawRecord) => ZenthosError | undefined>> = {
  telemetry: (v) => (Object.keys((v as TelemetryRaw).sensors ?? {}).length === 0 ? missing('sensors', 'has no readings') : undefined),
  status: (v) => (nonEmpty((v as { state?: unknown }).state) ? undefined : missing('state')),
  inference: (v) => (nonEmpty((v as { model_version?: unknown }).model_version) ? undefined : missing('model_version')),
  logs: (v) => (nonEmpty((v as { message?: unknown }).message) ? undefined : missing('message')),
};

/** The range of `sensor` for `model`, falling back to the `*` rules. */
export const rangeFor = (ranges: SensorRanges, model: string, sensor: string): SensorRange | undefined =>
  ranges[model]?.[sensor] ?? ranges['*']?.[sensor];

/**
 * The validate processor: semantic rules the Avro schema cannot express. Every failure is a
 * dead letter with a code (ZEN_REQUIRED_FIELD_MISSING, ZEN_PAYLOAD_INVALID, ZEN_TIMESTAMP_SKEW,
 * ZEN_SENSOR_OUT_OF_RANGE): the record can never become valid by retrying.
 */
export const createValidate = (settings: ValidateSettings, ports: { clock: Clock }) =>
  // Needs no I/O: answers at once, without a promise per record.
  function handleValidate<R extends RawRecord>(record: StreamRecord<R>): Outcome<R> {
    const v = record.value;
    const fail = (error: ZenthosError): Outcome<R> => ({ kind: 'deadLetter', error });
    if (!nonEmpty(v.message_id)) return fail(missing('message_id'));
    if (!UUID_V4.test(v.message_id)) return fail(new ZenthosError('ZEN_PAYLOAD_INVALID', `message_id ${v.message_id} is not a UUIDv4`));
    if (!nonEmpty(v.device_id)) return fail(missing('device_id'));
    if (!nonEmpty(v.device_model)) return fail(missing('device_model'));
    // DESIGN.md: records are keyed by device id; a mismatch means a broken producer and would
    // put the device's records on two partitions, losing per-device order.
    if (record.key !== v.device_id) {
      return fail(new ZenthosError('ZEN_PAYLOAD_INVALID', `record key ${record.key} differs from device_id ${v.device_id}`));
    }
    const kindProblem = requiredByKind[settings.kind](v);
    if (kindProblem) return fail(kindProblem);

    // Spec §15: timestamps are UTC epoch seconds from the device clock.
    const nowS = ports.clock.nowMs() / 1000;
    if (!Number.isFinite(v.timestamp) || v.timestamp <= 0) {
      return fail(new ZenthosError('ZEN_TIMESTAMP_SKEW', `timestamp ${v.timestamp} is not an epoch time in seconds`));
    }
    if (v.timestamp - nowS > settings.maxFutureSkewS) {
      return fail(
        new ZenthosError(
          'ZEN_TIMESTAMP_SKEW',
          `timestamp ${v.timestamp} is ${Math.round(v.timestamp - nowS)} s ahead (max ${settings.maxFutureSkewS} s)`,
        ),
      );
    }
    if (nowS - v.timestamp > settings.maxAgeS) {
      return fail(
        new ZenthosError(
          'ZEN_TIMESTAMP_SKEW',
          `timestamp ${v.timestamp} is ${Math.round(nowS - v.timestamp)} s old (max ${settings.maxAgeS} s)`,
        ),
      );
    }

    if (settings.kind === 'telemetry') {
      for (const [sensor, reading] of Object.entries((v as TelemetryRaw).sensors)) {
        if (!Number.isFinite(reading)) {
          return fail(new ZenthosError('ZEN_SENSOR_OUT_OF_RANGE', `sensor ${sensor} reading ${reading} is not a finite number`));
        }
        const range = rangeFor(settings.sensorRanges, v.device_model, sensor);
        if (range && (reading < range[0] || reading > range[1])) {
          return fail(
            new ZenthosError(
              'ZEN_SENSOR_OUT_OF_RANGE',
              `sensor ${sensor}=${reading} outside [${range[0]}, ${range[1]}] for model ${v.device_model}`,
            ),
          );
        }
      }
    }
    return { kind: 'forward', record };
  };
