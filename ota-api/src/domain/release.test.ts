import { resolveLatest, storageKeyOf, type LatestContext, type ReleaseView } from './release';
import type { Rollout } from './rollout';

const release = (version: string): ReleaseView => ({
  kind: 'firmware',
  device_model: 'esp32-s3',
  version,
  binary_url: `http://ota/firmware/esp32-s3/${version}?download=true`,
  sha256: '0'.repeat(64),
  signature: 'sig',
  uploaded_at: '2026-11-30T00:00:00.000Z',
  size: 1,
  key_id: 'k',
  manifest: '{}',
  release_notes: null,
});
const rollout: Rollout = {
  id: 'r',
  kind: 'firmware',
  deviceModel: 'esp32-s3',
  version: 'v2.0.0',
  cohort: { type: 'devices', deviceIds: ['in'] },
  stages: [{ percent: 100, failureThreshold: 0.1, minDevices: 1 }],
  currentStage: 0,
  status: 'active',
};
const context: LatestContext = { general: release('v1.0.0'), rollouts: [{ rollout, release: release('v2.0.0') }] };

describe('resolveLatest', () => {
  it('gives a targeted device the rollout release and everyone else the general latest', () => {
    expect(resolveLatest(context, { id: 'in', model: 'esp32-s3', tags: [] })?.version).toBe('v2.0.0');
    expect(resolveLatest(context, { id: 'out', model: 'esp32-s3', tags: [] })?.version).toBe('v1.0.0');
    expect(resolveLatest(context, undefined)?.version).toBe('v1.0.0');
  });
  it('falls back to the general latest once the rollout is aborted', () => {
    const aborted = { ...context, rollouts: [{ rollout: { ...rollout, status: 'aborted' as const }, release: release('v2.0.0') }] };
    expect(resolveLatest(aborted, { id: 'in', model: 'esp32-s3', tags: [] })?.version).toBe('v1.0.0');
  });
  it('answers null when nothing is released', () => {
    expect(resolveLatest({ general: null, rollouts: [] }, undefined)).toBeNull();
  });
  it('lays artifacts out as spec §8 does', () => {
    expect(storageKeyOf('firmware', 'esp32-s3', 'v0.1.0')).toBe('firmware/esp32-s3/v0.1.0.bin');
    expect(storageKeyOf('model', 'esp32-s3', 'm-20250730-abc1234')).toBe('models/esp32-s3/m-20250730-abc1234.tflite');
  });
});
