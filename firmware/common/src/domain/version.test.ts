import { compareVersions, isValidVersion } from './version';

describe('versions (spec §15)', () => {
  it.each([
    ['firmware', 'v1.2.3', true],
    ['firmware', 'v0.0.0', true],
    ['firmware', '1.2.3', false],
    ['firmware', 'v1.2', false],
    ['firmware', 'v01.2.3', false],
    ['firmware', 'v1.2.3-rc1', false],
    ['model', 'm-20261130-abc123', true],
    ['model', 'm-2026-11-30-abc', false],
    ['model', 'm-20261130-XYZ', false],
  ] as const)('%s %s valid: %s', (kind, version, valid) => {
    expect(isValidVersion(kind, version)).toBe(valid);
  });

  it.each([
    ['firmware', 'v1.2.4', 'v1.2.3', 1],
    ['firmware', 'v1.10.0', 'v1.9.9', 1],
    ['firmware', 'v2.0.0', 'v10.0.0', -1],
    ['firmware', 'v1.2.3', 'v1.2.3', 0],
    ['model', 'm-20261201-aaaaaa', 'm-20261130-bbbbbb', 1],
    ['model', 'm-20261130-aaaaaa', 'm-20261130-bbbbbb', 0],
    ['model', 'm-20251231-aaaaaa', 'm-20260101-bbbbbb', -1],
  ] as const)('%s: %s vs %s → sign %i', (kind, a, b, sign) => {
    expect(Math.sign(compareVersions(kind, a, b)!)).toBe(sign);
  });

  it('cannot order a malformed version', () => {
    expect(compareVersions('firmware', 'v1.2', 'v1.2.3')).toBeUndefined();
  });
});
