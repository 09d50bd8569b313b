import { isValidVersion, kindOfVersion } from './versions';

describe('release versions (spec §15)', () => {
  it.each([
    ['firmware', 'v0.1.0', true],
    ['firmware', 'v10.20.300', true],
    ['firmware', '0.1.0', false],
    ['firmware', 'v01.1.0', false],
    ['firmware', 'v1.2', false],
    ['firmware', 'v1.2.3-rc1', false],
    ['firmware', 'v1.2.3/../x', false],
    ['model', 'm-20250730-abc1234', true],
    ['model', 'm-20250230-abc1234', false],
    ['model', 'm-2025-07-30-abc', false],
    ['model', 'm-20250730-ABC1234', false],
    ['model', 'v0.1.0', false],
  ] as const)('%s %s valid: %s', (kind, version, ok) => {
    expect(isValidVersion(kind, version)).toBe(ok);
  });

  it('infers the kind from a version', () => {
    expect(kindOfVersion('v1.0.0')).toBe('firmware');
    expect(kindOfVersion('m-20251130-deadbeef')).toBe('model');
    expect(kindOfVersion('latest')).toBeUndefined();
  });
});
