import { demoVersions, parseStagePercents, planRollout } from './rollout-plan';

describe('planRollout', () => {
  it('spreads the stages over 80% of the run', () => {
    expect(planRollout(60_000, [10, 50, 100])).toEqual({ stages: [10, 50, 100], advanceAtMs: [16_000, 32_000, 48_000] });
    expect(planRollout(30_000, [100]).advanceAtMs).toEqual([24_000]);
  });
});

describe('parseStagePercents', () => {
  it.each([
    ['10,50,100', [10, 50, 100]],
    ['100', [100]],
    [' 1, 10 ,100', [1, 10, 100]],
  ])('%s', (text, stages) => expect(parseStagePercents(text)).toEqual(stages));

  it.each(['', '50,10,100', '10,50', '0,100', '10,10,100', 'a,100', '10,150'])('refuses %p', (text) =>
    expect(parseStagePercents(text)).toBeUndefined(),
  );
});

describe('demoVersions', () => {
  it('starts from v0.1.0 on a fresh database', () => {
    expect(demoVersions([], undefined)).toEqual({ running: 'v0.1.0', release: 'v0.2.0' });
  });
  it('runs the offered version and releases the next patch of the newest one, numerically', () => {
    expect(demoVersions(['v0.2.0', 'v0.10.1', 'v0.9.9'], 'v0.10.1')).toEqual({ running: 'v0.10.1', release: 'v0.10.2' });
  });
  it('starts below an aborted newest release, which is not offered', () => {
    expect(demoVersions(['v0.2.0', 'v0.2.1'], 'v0.2.0')).toEqual({ running: 'v0.2.0', release: 'v0.2.2' });
  });
  it('starts at v0.1.0 when nothing is offered, and ignores what is not a firmware version', () => {
    expect(demoVersions(['latest', 'v1.0.0'], undefined)).toEqual({ running: 'v0.1.0', release: 'v1.0.1' });
  });
});
