import { isTargeted, type Rollout } from '../src/domain/rollout';
import { startHarness, type Harness } from './harness';

interface RolloutBody {
  id: string;
  status: string;
  current_stage: number;
  status_reason: string | null;
  reports: Record<string, Record<string, number>>;
  cohort: Rollout['cohort'];
  stages: Rollout['stages'];
}

describe('staged rollouts', () => {
  let h: Harness;
  const tokens = new Map<string, string>();
  const ids = Array.from({ length: 30 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
  const beta = ids.slice(0, 20);
  let rollout: RolloutBody;

  const latestFor = async (id: string, via: 'token' | 'query' = 'token'): Promise<string> => {
    const res =
      via === 'token'
        ? await h.call('GET', '/firmware/esp32-s3/latest', { token: tokens.get(id) as string })
        : await h.call('GET', `/firmware/esp32-s3/latest?device_id=${id}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { version: string }).version;
  };
  const asRollout = (r: RolloutBody): Rollout => ({
    id: r.id,
    kind: 'firmware',
    deviceModel: 'esp32-s3',
    version: 'v2.0.0',
    cohort: r.cohort,
    stages: r.stages,
    currentStage: r.current_stage,
    status: r.status as Rollout['status'],
  });
  const report = (id: string, state: string, version = 'v2.0.0') =>
    h.call('POST', `/device/${id}/ota-report`, { token: tokens.get(id) as string, json: { version, state } });

  beforeAll(async () => {
    h = await startHarness();
    for (const id of ids) {
      const reg = await h.ota.parts.devices.registerDevice({ id, model: 'esp32-s3', tags: beta.includes(id) ? ['beta'] : [] });
      tokens.set(id, reg.token);
    }
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(1000, 1))).status).toBe(201);
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v2.0.0' }, Buffer.alloc(1000, 2))).status).toBe(201);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses rollouts of unknown or yanked releases and bad cohorts or stages', async () => {
    const post = (json: object) => h.call('POST', '/rollouts', { token: h.tokens.publish, json });
    expect((await post({ device_model: 'esp32-s3', version: 'v9.0.0' })).status).toBe(404);
    expect((await post({ device_model: 'esp32-s3', version: 'v2.0.0', cohort: { type: 'tag' } })).status).toBe(400);
    expect((await post({ device_model: 'esp32-s3', version: 'v2.0.0', stages: [{ percent: 50 }, { percent: 10 }] })).status).toBe(400);
    expect((await post({ kind: 'model', device_model: 'esp32-s3', version: 'v2.0.0' })).status).toBe(400);
    expect((await h.publish({ device_model: 'esp32-s3', version: 'v0.9.0' }, Buffer.alloc(10, 9))).status).toBe(201);
    await h.call('POST', '/releases/firmware/esp32-s3/v0.9.0/yank', { token: h.tokens.rollback });
    expect((await post({ device_model: 'esp32-s3', version: 'v0.9.0' })).status).toBe(409);
  });

  it('resolves latest per device: the rollout release inside the stage, the old latest outside', async () => {
    // Before any rollout the newest release is everyone's latest.
    expect(await latestFor('dev-25')).toBe('v2.0.0');
    const res = await h.call('POST', '/rollouts', {
      token: h.tokens.publish,
      json: {
        device_model: 'esp32-s3',
        version: 'v2.0.0',
        cohort: { type: 'tag', tag: 'beta' },
        stages: [
          { percent: 50, failureThreshold: 0.25, minDevices: 2 },
          { percent: 100, failureThreshold: 0.25, minDevices: 2 },
        ],
      },
    });
    expect(res.status).toBe(201);
    rollout = (await res.json()) as RolloutBody;
    expect(rollout).toMatchObject({ status: 'active', current_stage: 0 });

    const inside = ids.filter((id) => isTargeted(asRollout(rollout), { id, model: 'esp32-s3', tags: beta.includes(id) ? ['beta'] : [] }));
    expect(inside.length).toBeGreaterThanOrEqual(2);
    expect(inside.length).toBeLessThan(beta.length);
    expect(inside.every((id) => beta.includes(id))).toBe(true);
    for (const id of ids) {
      const expected = inside.includes(id) ? 'v2.0.0' : 'v1.0.0';
      expect([id, await latestFor(id)]).toEqual([id, expected]);
      expect([id, await latestFor(id, 'query')]).toEqual([id, expected]);
    }
    const anonymous = await h.call('GET', '/firmware/esp32-s3/latest');
    expect(((await anonymous.json()) as { version: string }).version).toBe('v1.0.0');
    // A second open rollout for the same model is refused.
    expect(
      (await h.call('POST', '/rollouts', { token: h.tokens.publish, json: { device_model: 'esp32-s3', version: 'v1.0.0' } })).status,
    ).toBe(409);
  });

  it('a stage over its failure threshold pauses the rollout; devices outside it keep the old latest', async () => {
    const inside = ids.filter((id) => isTargeted(asRollout(rollout), { id, model: 'esp32-s3', tags: beta.includes(id) ? ['beta'] : [] }));
    const outsideBeta = beta.filter((id) => !inside.includes(id));
    // Reports from devices the stage does not target do not count.
    expect(await (await report(outsideBeta[0] as string, 'failed')).json()).toMatchObject({ rollout_id: rollout.id, paused: false });
    expect(await (await report('dev-29', 'failed')).json()).toMatchObject({ paused: false });

    expect(await (await report(inside[0] as string, 'downloading')).json()).toMatchObject({ paused: false });
    expect(await (await report(inside[0] as string, 'installed')).json()).toMatchObject({ paused: false, rollout_status: 'active' });
    // 1 failed of 2 outcomes = 50% > 25%, and 2 ≥ minDevices: the rollout pauses itself.
    expect(await (await report(inside[1] as string, 'failed')).json()).toMatchObject({ paused: true, rollout_status: 'paused' });

    const status = (await (await h.call('GET', `/rollouts/${rollout.id}`, { token: h.tokens.read })).json()) as RolloutBody;
    expect(status.status).toBe('paused');
    expect(status.status_reason).toMatch(/failure rate 50\.0% exceeds 25\.0%/);
    expect(status.reports['0']).toEqual({ installed: 1, failed: 1 });

    for (const id of ids) expect([id, await latestFor(id)]).toEqual([id, inside.includes(id) ? 'v2.0.0' : 'v1.0.0']);
    const device = (await (await h.call('GET', `/device/${inside[1]}/status`, { token: h.tokens.read })).json()) as {
      rollouts: { state: string; status: string }[];
    };
    expect(device.rollouts).toEqual([expect.objectContaining({ rollout_id: rollout.id, state: 'failed', status: 'paused', stage: 0 })]);
  });

  it('pause, resume, advance and abort move the rollout and latest with it', async () => {
    const act = (action: string, token = h.tokens.all) => h.call('POST', `/rollouts/${rollout.id}/${action}`, { token, json: {} });
    expect((await act('advance')).status).toBe(409);
    expect((await act('pause')).status).toBe(409);
    expect(((await (await act('resume')).json()) as RolloutBody).status).toBe('active');
    expect((await act('pause')).status).toBe(200);
    expect((await act('resume')).status).toBe(200);
    const advanced = (await (await act('advance')).json()) as RolloutBody;
    expect(advanced).toMatchObject({ status: 'active', current_stage: 1 });
    for (const id of ids) expect([id, await latestFor(id)]).toEqual([id, beta.includes(id) ? 'v2.0.0' : 'v1.0.0']);

    const aborted = (await (await act('abort')).json()) as RolloutBody;
    expect(aborted.status).toBe('aborted');
    for (const id of ids) expect([id, await latestFor(id)]).toEqual([id, 'v1.0.0']);
    expect((await act('resume')).status).toBe(409);
    const listed = (await (await h.call('GET', '/rollouts?status=aborted', { token: h.tokens.read })).json()) as {
      rollouts: { id: string }[];
    };
    expect(listed.rollouts.map((r) => r.id)).toEqual([rollout.id]);
  });

  it('a completed rollout makes its release everybody’s latest', async () => {
    const res = await h.call('POST', '/rollouts', {
      token: h.tokens.publish,
      json: { device_model: 'esp32-s3', version: 'v2.0.0', cohort: { type: 'all' }, stages: [{ percent: 10 }, { percent: 100 }] },
    });
    expect(res.status).toBe(201);
    const second = (await res.json()) as RolloutBody;
    await h.call('POST', `/rollouts/${second.id}/advance`, { token: h.tokens.publish });
    const done = (await (await h.call('POST', `/rollouts/${second.id}/advance`, { token: h.tokens.publish })).json()) as RolloutBody;
    expect(done.status).toBe('completed');
    for (const id of ids) expect([id, await latestFor(id)]).toEqual([id, 'v2.0.0']);
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe('v2.0.0');
  });
});
