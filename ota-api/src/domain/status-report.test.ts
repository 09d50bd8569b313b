import { otaReportOf } from './status-report';

const base = { device_id: 'd1', device_model: 'esp32-s3' };
const ota = {
  state: 'failed' as const,
  release_version: 'v2.0.0',
  artifact: 'firmware' as const,
  rollout_id: null,
  progress_pct: null,
  error: 'boot loop',
};

describe('otaReportOf', () => {
  it('reads the report of a status message', () => {
    expect(otaReportOf({ ...base, ota })).toEqual({
      deviceId: 'd1',
      deviceModel: 'esp32-s3',
      kind: 'firmware',
      version: 'v2.0.0',
      state: 'failed',
      detail: 'boot loop',
    });
    expect(otaReportOf({ ...base, ota: { ...ota, artifact: 'model', state: 'installed', error: null } })).toMatchObject({
      kind: 'model',
      state: 'installed',
      detail: undefined,
    });
  });
  it('skips statuses without a usable report', () => {
    expect(otaReportOf({ ...base, ota: null })).toBeUndefined();
    expect(otaReportOf({ ...base, ota: { ...ota, state: 'unknown' } })).toBeUndefined();
  });
});
