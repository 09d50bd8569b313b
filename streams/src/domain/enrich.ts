import { ZenthosError } from '@zenthos/core';
import type { Location } from '@zenthos/schemas';
import type { EnrichedRecord, RawRecord } from './kinds';
import { isPromise, type Clock, type Outcome, type StreamRecord } from './record';

/** What the device registry knows about a device (spec §6 `devices`). */
export interface DeviceInfo {
  readonly id: string;
  readonly model: string;
  readonly owner: string | null;
  readonly metadata: Readonly<Record<string, unknown>> | null;
  readonly revoked: boolean;
}

/** Reads the device registry. Implementations cache; failures are retriable ZenthosErrors. */
export interface DeviceLookup {
  /** The device, at once when cached (no promise per record), else a promise of it. */
  get(deviceId: string): DeviceInfo | undefined | Promise<DeviceInfo | undefined>;
  /** Adds a device seen for the first time (auto-registration); returns the registry's row. */
  register(device: { id: string; model: string }): Promise<DeviceInfo>;
}

/** What a record tells about its device, written back to the registry in batches. */
export interface DeviceSighting {
  readonly deviceId: string;
  readonly seenAtMs: number;
  readonly firmwareVersion: string | null;
  readonly modelVersion: string | null;
}

/** Collects sightings and writes them later (batched `last_seen`/version updates). */
export interface DeviceActivity {
  record(sighting: DeviceSighting): void;
}

/** Settings of {@link createEnrich}. */
export interface EnrichSettings {
  /** Register unknown devices instead of dead-lettering their records. */
  readonly autoRegister: boolean;
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The installation location from registry metadata: `metadata.location = {latitude, longitude,
 * altitude_m?, site?}`; anything else means "unknown".
 */
export function locationOf(metadata: Readonly<Record<string, unknown>> | null): Location | null {
  const loc = metadata?.location as Record<string, unknown> | undefined;
  if (!loc || typeof loc !== 'object' || !isNumber(loc.latitude) || !isNumber(loc.longitude)) return null;
  return {
    latitude: loc.latitude,
    longitude: loc.longitude,
    altitude_m: isNumber(loc.altitude_m) ? loc.altitude_m : null,
    site: typeof loc.site === 'string' ? loc.site : null,
  };
}

/** Registry metadata flattened to strings, as the enriched contracts carry it (nested values as JSON). */
export function flattenMetadata(metadata: Readonly<Record<string, unknown>> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/**
 * The enrich processor: adds owner, location and metadata from the device registry and reports
 * the sighting for the batched `last_seen` update. Unknown devices are dead letters
 * (ZEN_UNKNOWN_DEVICE) unless auto-registration is on; revoked devices are dead letters
 * (ZEN_DEVICE_REVOKED): a revoked credential must not feed the platform.
 */
export const createEnrich = (settings: EnrichSettings, ports: { devices: DeviceLookup; activity: DeviceActivity; clock: Clock }) => {
  // Location and flattened metadata depend on the registry's answer only, and a cached answer is
  // the same object for every record of its device: derive them once per answer, not per record
  // (read-only from here on; the encoder only reads them).
  const derived = new WeakMap<DeviceInfo, { location: Location | null; metadata: Record<string, string> }>();
  const derive = (device: DeviceInfo): { location: Location | null; metadata: Record<string, string> } => {
    let d = derived.get(device);
    if (d === undefined) {
      d = { location: locationOf(device.metadata), metadata: flattenMetadata(device.metadata) };
      derived.set(device, d);
    }
    return d;
  };
  const enrichWith = <R extends RawRecord>(record: StreamRecord<R>, device: DeviceInfo, known: boolean): Outcome<EnrichedRecord<R>> => {
    const v = record.value;
    if (device.revoked) {
      return { kind: 'deadLetter', error: new ZenthosError('ZEN_DEVICE_REVOKED', `device ${v.device_id} is revoked`) };
    }
    ports.activity.record({
      deviceId: v.device_id,
      seenAtMs: v.timestamp * 1000,
      firmwareVersion: v.firmware_version ?? null,
      modelVersion: (v as { model_version?: string | null }).model_version ?? null,
    });
    const { location, metadata } = derive(device);
    const enriched: EnrichedRecord<R> = {
      ...v,
      owner: device.owner,
      location,
      metadata,
      known_device: known,
      enriched_ts: ports.clock.nowMs(),
    };
    return { kind: 'forward', record: { ...record, value: enriched } };
  };
  const withDevice = <R extends RawRecord>(
    record: StreamRecord<R>,
    device: DeviceInfo | undefined,
  ): Outcome<EnrichedRecord<R>> | Promise<Outcome<EnrichedRecord<R>>> => {
    if (device !== undefined) return enrichWith(record, device, true);
    const v = record.value;
    if (!settings.autoRegister) {
      return { kind: 'deadLetter', error: new ZenthosError('ZEN_UNKNOWN_DEVICE', `device ${v.device_id} is not in the device registry`) };
    }
    return ports.devices.register({ id: v.device_id, model: v.device_model }).then((registered) => enrichWith(record, registered, false));
  };
  // Apart from handleEnrich: a closure there would cost a context allocation on every call.
  const withDeviceLater = <R extends RawRecord>(
    record: StreamRecord<R>,
    found: Promise<DeviceInfo | undefined>,
  ): Promise<Outcome<EnrichedRecord<R>>> => found.then((device) => withDevice(record, device));
  // A device in the registry's cache is enriched at once, without a promise per record.
  return function handleEnrich<R extends RawRecord>(
    record: StreamRecord<R>,
  ): Outcome<EnrichedRecord<R>> | Promise<Outcome<EnrichedRecord<R>>> {
    const found = ports.devices.get(record.value.device_id);
    return isPromise(found) ? withDeviceLater(record, found) : withDevice(record, found);
  };
};
