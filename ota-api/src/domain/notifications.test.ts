import { offerLockOrder, offerOf, planNotifications } from './notifications';
import type { LatestContext, ReleaseView } from './release';
import { isTargeted, transition, type DeviceFacts, type Rollout } from './rollout';

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
  id: 'r1',
  kind: 'firmware',
  deviceModel: 'esp32-s3',
  version: 'v2.0.0',
  cohort: { type: 'all' },
  stages: [
    { percent: 10, failureThreshold: 0.1, minDevices: 1 },
    { percent: 50, failureThreshold: 0.1, minDevices: 1 },
    { percent: 100, failureThreshold: 0.1, minDevices: 1 },
  ],
  currentStage: 0,
  status: 'active',
};
const fleet: DeviceFacts[] = Array.from({ length: 400 }, (_, i) => ({ id: `dev-${i}`, model: 'esp32-s3', tags: [] }));
const v1: LatestContext = { general: release('v1.0.0'), rollouts: [] };
const withRollout = (r: Rollout): LatestContext =>
  r.status === 'completed'
    ? { general: release(r.version), rollouts: [] }
    : r.status === 'aborted'
      ? v1
      : { general: release('v1.0.0'), rollouts: [{ rollout: r, release: release(r.version) }] };
const ids = (notices: { deviceId: string }[]): string[] => notices.map((n) => n.deviceId).sort();
const idsOf = (devices: DeviceFacts[]): string[] => devices.map((d) => d.id).sort();

describe('offerOf', () => {
  it('offers the rollout release to a targeted device and the general one to the rest', () => {
    const ctx = withRollout(rollout);
    const inStage = fleet.find((d) => isTargeted(rollout, d)) as DeviceFacts;
    const outside = fleet.find((d) => !isTargeted(rollout, d)) as DeviceFacts;
    expect(offerOf(ctx, inStage)).toEqual({ version: 'v2.0.0', rolloutId: 'r1' });
    expect(offerOf(ctx, outside)).toEqual({ version: 'v1.0.0', rolloutId: null });
    expect(offerOf({ general: null, rollouts: [] }, outside)).toEqual({ version: null, rolloutId: null });
  });
});

describe('planNotifications: which devices a change notifies', () => {
  it('a release published without a rollout notifies the whole model', () => {
    const notices = planNotifications('firmware', v1, { general: release('v1.1.0'), rollouts: [] }, fleet, 'published');
    expect(notices).toHaveLength(fleet.length);
    expect(notices[0]).toEqual({
      deviceId: 'dev-0',
      deviceModel: 'esp32-s3',
      kind: 'firmware',
      version: 'v1.1.0',
      rolloutId: null,
      reason: 'published',
    });
  });

  it('the first release of a model notifies every device, and nothing changes for a repeated context', () => {
    expect(planNotifications('firmware', { general: null, rollouts: [] }, v1, fleet, 'published')).toHaveLength(fleet.length);
    expect(planNotifications('firmware', v1, v1, fleet, 'published')).toEqual([]);
  });

  it('creating a rollout notifies only the devices of its first stage, with the rollout id', () => {
    const notices = planNotifications('firmware', v1, withRollout(rollout), fleet, 'rollout_created');
    const expected = fleet.filter((d) => isTargeted(rollout, d));
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.length).toBeLessThan(fleet.length / 4);
    expect(ids(notices)).toEqual(idsOf(expected));
    expect(notices.every((n) => n.version === 'v2.0.0' && n.rolloutId === 'r1')).toBe(true);
  });

  it('advancing notifies only the devices the new stage adds, never those already in', () => {
    const next = { ...rollout, ...transition(rollout, 'advance') };
    const notices = planNotifications('firmware', withRollout(rollout), withRollout(next), fleet, 'rollout_advanced');
    const added = fleet.filter((d) => isTargeted(next, d) && !isTargeted(rollout, d));
    expect(added.length).toBeGreaterThan(50);
    expect(ids(notices)).toEqual(idsOf(added));
  });

  it('completing notifies the devices outside the last stage; the last stage at 100% notifies nobody', () => {
    const last = { ...rollout, currentStage: 2 };
    const done = { ...last, ...transition(last, 'advance') };
    expect(done.status).toBe('completed');
    expect(planNotifications('firmware', withRollout(last), withRollout(done), fleet, 'rollout_completed')).toEqual([]);
    const half = { ...rollout, currentStage: 1 };
    const notices = planNotifications(
      'firmware',
      withRollout(half),
      withRollout({ ...half, status: 'completed' }),
      fleet,
      'rollout_completed',
    );
    expect(ids(notices)).toEqual(idsOf(fleet.filter((d) => !isTargeted(half, d))));
    expect(notices.every((n) => n.version === 'v2.0.0' && n.rolloutId === null)).toBe(true);
  });

  it('an abort (rollback) notifies the devices the rollout reached, with the previous release', () => {
    const aborted = { ...rollout, ...transition(rollout, 'abort') };
    const notices = planNotifications('firmware', withRollout(rollout), withRollout(aborted), fleet, 'rollout_aborted');
    expect(ids(notices)).toEqual(idsOf(fleet.filter((d) => isTargeted(rollout, d))));
    expect(notices.every((n) => n.version === 'v1.0.0' && n.rolloutId === null)).toBe(true);
  });

  it('pausing and resuming keep every offer, so nobody is notified', () => {
    const paused = { ...rollout, ...transition(rollout, 'pause') };
    expect(planNotifications('firmware', withRollout(rollout), withRollout(paused), fleet, 'rollout_paused')).toEqual([]);
    expect(planNotifications('firmware', withRollout(paused), withRollout(rollout), fleet, 'rollout_resumed')).toEqual([]);
  });

  it('yanking the general release notifies the devices it was offered to, with what replaces it', () => {
    const before = withRollout(rollout);
    const after: LatestContext = { general: release('v0.9.0'), rollouts: before.rollouts };
    const notices = planNotifications('firmware', before, after, fleet, 'yanked');
    expect(ids(notices)).toEqual(idsOf(fleet.filter((d) => !isTargeted(rollout, d))));
    expect(notices.every((n) => n.version === 'v0.9.0')).toBe(true);
    const none = planNotifications('firmware', v1, { general: null, rollouts: [] }, fleet, 'yanked');
    expect(none).toHaveLength(fleet.length);
    expect(none.every((n) => n.version === null)).toBe(true);
  });

  it('a cohort of named devices notifies exactly them', () => {
    const named: Rollout = {
      ...rollout,
      cohort: { type: 'devices', deviceIds: ['dev-3', 'dev-7'] },
      stages: [{ percent: 100, failureThreshold: 0.1, minDevices: 1 }],
    };
    expect(ids(planNotifications('firmware', v1, withRollout(named), fleet, 'rollout_created'))).toEqual(['dev-3', 'dev-7']);
  });

  it('revoking the key of the rollout release returns its stage to the general release; of the general release, the rest falls back', () => {
    const before = withRollout(rollout);
    // The rollout release is signed by the revoked key: the rollout no longer offers anything.
    const rolloutGone: LatestContext = { general: release('v1.0.0'), rollouts: [] };
    const back = planNotifications('firmware', before, rolloutGone, fleet, 'key_revoked');
    expect(ids(back)).toEqual(idsOf(fleet.filter((d) => isTargeted(rollout, d))));
    expect(back.every((n) => n.version === 'v1.0.0' && n.rolloutId === null && n.reason === 'key_revoked')).toBe(true);
    // The general release is signed by it: devices outside the stage get the one before (or none).
    const generalGone: LatestContext = { general: null, rollouts: before.rollouts };
    const none = planNotifications('firmware', before, generalGone, fleet, 'key_revoked');
    expect(ids(none)).toEqual(idsOf(fleet.filter((d) => !isTargeted(rollout, d))));
    expect(none.every((n) => n.version === null)).toBe(true);
  });
});

describe('planNotifications: a change to the devices themselves (tags)', () => {
  const tagged: Rollout = {
    ...rollout,
    cohort: { type: 'tag', tag: 'beta' },
    stages: [{ percent: 100, failureThreshold: 0.1, minDevices: 1 }],
  };
  const ctx = withRollout(tagged);
  const plain: DeviceFacts = { id: 'dev-1', model: 'esp32-s3', tags: [] };
  const beta: DeviceFacts = { ...plain, tags: ['beta'] };

  it('a device tagged into a tag cohort is offered the rollout release; untagged, the general one again', () => {
    expect(planNotifications('firmware', ctx, ctx, [beta], 'tags_changed', new Map([[plain.id, plain]]))).toEqual([
      { deviceId: 'dev-1', deviceModel: 'esp32-s3', kind: 'firmware', version: 'v2.0.0', rolloutId: 'r1', reason: 'tags_changed' },
    ]);
    expect(planNotifications('firmware', ctx, ctx, [plain], 'tags_changed', new Map([[beta.id, beta]]))).toEqual([
      { deviceId: 'dev-1', deviceModel: 'esp32-s3', kind: 'firmware', version: 'v1.0.0', rolloutId: null, reason: 'tags_changed' },
    ]);
  });

  it('a tag change that moves no offer notifies nobody (another tag, or no open rollout)', () => {
    const other: DeviceFacts = { ...plain, tags: ['lab'] };
    expect(planNotifications('firmware', ctx, ctx, [other], 'tags_changed', new Map([[plain.id, plain]]))).toEqual([]);
    expect(planNotifications('firmware', v1, v1, [beta], 'tags_changed', new Map([[plain.id, plain]]))).toEqual([]);
  });

  it('a tag that moves the device into a stage it is outside of by share still notifies nobody', () => {
    const half: Rollout = { ...tagged, id: 'r-half', stages: [{ percent: 50, failureThreshold: 0.1, minDevices: 1 }] };
    const halfCtx = withRollout(half);
    const outside = fleet.map((d) => ({ ...d, tags: ['beta'] })).find((d) => !isTargeted(half, d)) as DeviceFacts;
    const inside = fleet.map((d) => ({ ...d, tags: ['beta'] })).find((d) => isTargeted(half, d)) as DeviceFacts;
    const untagged = (d: DeviceFacts): Map<string, DeviceFacts> => new Map([[d.id, { ...d, tags: [] }]]);
    expect(planNotifications('firmware', halfCtx, halfCtx, [outside], 'tags_changed', untagged(outside))).toEqual([]);
    expect(planNotifications('firmware', halfCtx, halfCtx, [inside], 'tags_changed', untagged(inside))).toHaveLength(1);
  });
});

describe('offerLockOrder', () => {
  it('sorts by kind, then model, so that every change locks several models in one order', () => {
    const scopes = [
      { kind: 'model' as const, deviceModel: 'esp32-cam' },
      { kind: 'firmware' as const, deviceModel: 'esp32-s3' },
      { kind: 'model' as const, deviceModel: 'esp32-c3' },
      { kind: 'firmware' as const, deviceModel: 'esp32-cam' },
    ];
    const expected = ['firmware/esp32-cam', 'firmware/esp32-s3', 'model/esp32-c3', 'model/esp32-cam'];
    expect(offerLockOrder(scopes).map((s) => `${s.kind}/${s.deviceModel}`)).toEqual(expected);
    expect(offerLockOrder([...scopes].reverse()).map((s) => `${s.kind}/${s.deviceModel}`)).toEqual(expected);
    expect(scopes[0]?.kind).toBe('model');
  });
});
