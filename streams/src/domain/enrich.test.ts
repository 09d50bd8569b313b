import { ZenthosError } from '@zenthos/core';
import { createEnrich, flattenMetadata, locationOf, type DeviceInfo, type DeviceLookup, type DeviceSighting } from './enrich';
import { telemetryRecord } from './test-records';

const NOW_MS = 1_764_460_800_123;
const clock = { nowMs: () => NOW_MS };

const registry = (devices: DeviceInfo[]): DeviceLookup & { registered: string[] } => {
  const byId = new Map(devices.map((d) => [d.id, d]));
  const registered: string[] = [];
  return {
    registered,
    get: async (id) => byId.get(id),
    register: async ({ id, model }) => {
      registered.push(id);
      const d = { id, model, owner: null, metadata: null, revoked: false };
      byId.set(id, d);
      return d;
    },
  };
};

const known: DeviceInfo = {
  id: 'esp32-s3-001',
  model: 'esp32-s3',
  owner: 'adrian',
  metadata: { location: { latitude: 52.5, longitude: 13.4, site: 'greenhouse' }, floor: 2, room: 'b' },
  revoked: false,
};

describe('enrich', () => {
  it.each([
    [
      'a known device gets owner, location and metadata',
      [known],
      false,
      'esp32-s3-001',
      {
        kind: 'forward',
        owner: 'adrian',
        location: { latitude: 52.5, longitude: 13.4, altitude_m: null, site: 'greenhouse' },
        known_device: true,
      },
    ],
    ['an unknown device is a dead letter', [known], false, 'esp32-s3-999', { kind: 'deadLetter', code: 'ZEN_UNKNOWN_DEVICE' }],
    [
      'an unknown device is registered when auto-registration is on',
      [known],
      true,
      'esp32-s3-999',
      { kind: 'forward', owner: null, location: null, known_device: false },
    ],
    [
      'a revoked device is a dead letter',
      [{ ...known, revoked: true }],
      false,
      'esp32-s3-001',
      { kind: 'deadLetter', code: 'ZEN_DEVICE_REVOKED' },
    ],
  ] as const)('%s', async (_name, devices, autoRegister, deviceId, expected) => {
    const sightings: DeviceSighting[] = [];
    const lookup = registry([...devices]);
    const enrich = createEnrich({ autoRegister }, { devices: lookup, activity: { record: (s) => sightings.push(s) }, clock });
    const outcome = await enrich(telemetryRecord({ device_id: deviceId }));
    expect(outcome.kind).toBe(expected.kind);
    if (outcome.kind === 'forward' && expected.kind === 'forward') {
      expect(outcome.record.value).toMatchObject({
        device_id: deviceId,
        owner: expected.owner,
        location: expected.location,
        known_device: expected.known_device,
        enriched_ts: NOW_MS,
        sensors: { temperature: 26.7, humidity: 61.2 },
      });
      expect(sightings).toEqual([{ deviceId, seenAtMs: 1_764_460_800_000, firmwareVersion: 'v0.1.0', modelVersion: 'm-20250730-abc' }]);
      expect(lookup.registered).toEqual(autoRegister ? [deviceId] : []);
    }
    if (outcome.kind === 'deadLetter' && expected.kind === 'deadLetter') {
      expect(outcome.error.code).toBe(expected.code);
      expect(sightings).toEqual([]);
    }
  });

  it('lets a retriable registry failure through to the runner', async () => {
    const down: DeviceLookup = {
      get: async () => {
        throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'postgres down', true);
      },
      register: async () => {
        throw new Error('unused');
      },
    };
    const enrich = createEnrich({ autoRegister: false }, { devices: down, activity: { record: () => undefined }, clock });
    await expect(enrich(telemetryRecord())).rejects.toMatchObject({ code: 'ZEN_DEPENDENCY_UNAVAILABLE', retriable: true });
  });

  it.each([
    [null, null],
    [{ location: { latitude: 1, longitude: 2, altitude_m: 30 } }, { latitude: 1, longitude: 2, altitude_m: 30, site: null }],
    [{ location: { latitude: '1', longitude: 2 } }, null],
    [{ location: 'berlin' }, null],
  ])('locationOf(%j) = %j', (metadata, expected) => {
    expect(locationOf(metadata as never)).toEqual(expected);
  });

  it.each([
    [null, {}],
    [
      { a: 'x', b: 2, c: { d: true }, e: null },
      { a: 'x', b: '2', c: '{"d":true}' },
    ],
  ])('flattenMetadata(%j) = %j', (metadata, expected) => {
    expect(flattenMetadata(metadata as never)).toEqual(expected);
  });
});
