import { ZenthosError } from '@zenthos/core';
import { isValidVersion } from '@zenthos/firmware-common';

/** How the simulator gets device credentials. */
export type RegisterMode = 'db' | 'api' | 'none';

/** Validated options of one simulation run. Durations are in milliseconds. */
export interface SimOptions {
  /** Number of simulated devices. */
  readonly devices: number;
  /** Telemetry messages per second, per device. */
  readonly ratePerDevice: number;
  /** The run stops by itself after this long. */
  readonly durationMs: number;
  /** Whether devices check the OTA API for firmware updates. */
  readonly ota: boolean;
  /** Device model, e.g. `esp32-s3`. */
  readonly model: string;
  /** Device ids are `<prefix>-<model>-<0001>`. */
  readonly idPrefix: string;
  /** Firmware version a device runs when its simulated flash is empty. */
  readonly firmwareVersion: string;
  /** How often each device asks the OTA API for `latest` (the first check runs at start). */
  readonly otaCheckIntervalMs: number;
  readonly register: RegisterMode;
  /** Devices are started over this long, so N connections do not arrive in one burst. */
  readonly rampUpMs: number;
}

/** Raw text as commander hands it over; every field optional. */
export interface RawSimOptions {
  readonly devices?: string | undefined;
  readonly rate?: string | undefined;
  readonly duration?: string | undefined;
  readonly ota?: boolean | undefined;
  readonly model?: string | undefined;
  readonly prefix?: string | undefined;
  readonly firmwareVersion?: string | undefined;
  readonly otaCheckInterval?: string | undefined;
  readonly register?: string | undefined;
  readonly rampUp?: string | undefined;
}

// DEVICE_ID_PATTERN of @zenthos/devices, minus the room the suffix takes.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_DEVICES = 10_000;

/**
 * Parses a duration: a number of seconds (`30`, `1.5`) or with a unit (`500ms`, `30s`, `2m`,
 * `1h`). Returns milliseconds, or undefined when the text is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return undefined;
  const value = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(value * factor);
}

/**
 * Validates the options of `zenthos sim`. Every problem is named in one ZEN_BAD_REQUEST, like
 * loadConfig does for variables, so a user fixes them in one go.
 */
export function parseSimOptions(raw: RawSimOptions, defaults: { register: RegisterMode }): SimOptions {
  const problems: string[] = [];
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
      problems.push(`--${name} "${text}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, text: string | undefined, fallback: number, minMs: number, maxMs: number): number => {
    if (text === undefined) return fallback;
    const ms = parseDurationMs(text);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      problems.push(`--${name} "${text}" must be a duration such as 30, 30s, 2m (from ${minMs / 1000} s to ${maxMs / 1000} s)`);
      return fallback;
    }
    return ms;
  };

  const devices = int('devices', raw.devices, 10, 1, MAX_DEVICES);
  let ratePerDevice = 1;
  if (raw.rate !== undefined) {
    ratePerDevice = Number(raw.rate);
    if (raw.rate.trim() === '' || !Number.isFinite(ratePerDevice) || ratePerDevice <= 0 || ratePerDevice > 1000) {
      problems.push(`--rate "${raw.rate}" must be messages per second per device, above 0 and at most 1000`);
      ratePerDevice = 1;
    }
  }
  const durationMs = duration('duration', raw.duration, 60_000, 1_000, 24 * 3_600_000);
  const otaCheckIntervalMs = duration('ota-check-interval', raw.otaCheckInterval, 10_000, 1_000, 24 * 3_600_000);
  const rampUpMs = duration('ramp-up', raw.rampUp, Math.min(5_000, devices * 20), 0, 600_000);
  const model = raw.model ?? 'esp32-s3';
  if (!NAME.test(model)) problems.push(`--model "${model}" must be letters, digits, . _ - (at most 64)`);
  const idPrefix = raw.prefix ?? 'sim';
  if (!NAME.test(idPrefix)) problems.push(`--prefix "${idPrefix}" must be letters, digits, . _ - (at most 64)`);
  const firmwareVersion = raw.firmwareVersion ?? 'v0.1.0';
  if (!isValidVersion('firmware', firmwareVersion)) problems.push(`--firmware-version "${firmwareVersion}" must be vMAJOR.MINOR.PATCH`);
  const register = (raw.register ?? defaults.register) as RegisterMode;
  if (!['db', 'api', 'none'].includes(register)) problems.push(`--register "${String(raw.register)}" must be db, api or none`);
  if (problems.length > 0) throw new ZenthosError('ZEN_BAD_REQUEST', problems.join('; '));
  return {
    devices,
    ratePerDevice,
    durationMs,
    ota: raw.ota === true,
    model,
    idPrefix,
    firmwareVersion,
    otaCheckIntervalMs,
    register,
    rampUpMs,
  };
}

/** Device ids of a run: `<prefix>-<model>-0001` … (zero-padded so they sort in order). */
export function deviceIdsFor(prefix: string, model: string, count: number): string[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}-${model}-${String(i + 1).padStart(width, '0')}`);
}
