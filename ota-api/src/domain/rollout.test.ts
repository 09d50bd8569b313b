import { type ZenthosError } from '@zenthos/core';
import {
  bucketOf,
  inCohort,
  isTargeted,
  judgeStage,
  parseCohort,
  parseStages,
  parseTags,
  stagesFromPercents,
  summarizeRollout,
  transition,
  type Rollout,
} from './rollout';

const base: Rollout = {
  id: 'r1',
  kind: 'firmware',
  deviceModel: 'esp32-s3',
  version: 'v2.0.0',
  cohort: { type: 'all' },
  stages: [
    { percent: 10, failureThreshold: 0.2, minDevices: 2 },
    { percent: 100, failureThreshold: 0.2, minDevices: 2 },
  ],
  currentStage: 0,
  status: 'active',
};
const devices = Array.from({ length: 2000 }, (_, i) => ({ id: `dev-${i}`, model: 'esp32-s3', tags: i % 2 ? ['beta'] : [] }));

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ZenthosError).code;
  }
  return 'none';
};

describe('rollout membership', () => {
  it('buckets are stable and spread over [0, 10000)', () => {
    expect(bucketOf('s', 'dev-1')).toBe(bucketOf('s', 'dev-1'));
    const buckets = devices.map((d) => bucketOf('s', d.id));
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...buckets)).toBeLessThan(10_000);
    expect(buckets.filter((b) => b < 5000).length).toBeGreaterThan(800);
    expect(buckets.filter((b) => b < 5000).length).toBeLessThan(1200);
  });

  it('a stage reaches about its share, and widening keeps everyone already in', () => {
    const first = devices.filter((d) => isTargeted(base, d));
    expect(first.length).toBeGreaterThan(120);
    expect(first.length).toBeLessThan(280);
    const widened = { ...base, currentStage: 1 };
    expect(first.every((d) => isTargeted(widened, d))).toBe(true);
    expect(devices.every((d) => isTargeted(widened, d))).toBe(true);
  });

  it('paused keeps the reached devices, aborted and completed release nobody', () => {
    const reached = devices.filter((d) => isTargeted(base, d));
    expect(reached.every((d) => isTargeted({ ...base, status: 'paused' }, d))).toBe(true);
    expect(devices.some((d) => isTargeted({ ...base, status: 'aborted' }, d))).toBe(false);
    expect(devices.some((d) => isTargeted({ ...base, status: 'completed' }, d))).toBe(false);
  });

  it.each([
    [{ type: 'all' }, 'dev-1', 'esp32-s3', true],
    [{ type: 'all' }, 'dev-1', 'esp32-cam', false],
    [{ type: 'devices', deviceIds: ['dev-1'] }, 'dev-1', 'esp32-s3', true],
    [{ type: 'devices', deviceIds: ['dev-1'] }, 'dev-2', 'esp32-s3', false],
    [{ type: 'tag', tag: 'beta' }, 'dev-1', 'esp32-s3', true],
    [{ type: 'tag', tag: 'beta' }, 'dev-2', 'esp32-s3', false],
  ] as const)('cohort %j has %s (%s): %s', (cohort, id, model, expected) => {
    const device = devices.find((d) => d.id === id)!;
    expect(inCohort({ ...base, cohort }, { ...device, model })).toBe(expected);
  });

  it('a percentage cohort takes about its share', () => {
    const n = devices.filter((d) => inCohort({ ...base, cohort: { type: 'percentage', percent: 25 } }, d)).length;
    expect(n).toBeGreaterThan(400);
    expect(n).toBeLessThan(600);
  });
});

describe('stage judgement', () => {
  const stage = { percent: 10, failureThreshold: 0.2, minDevices: 5 };
  it.each([
    [{ installed: 0, failed: 0 }, false],
    [{ installed: 0, failed: 4 }, false],
    [{ installed: 4, failed: 1 }, false],
    [{ installed: 3, failed: 2 }, true],
    [{ installed: 0, failed: 5 }, true],
  ])('%j pauses: %s', (outcomes, pause) => {
    expect(judgeStage(stage, outcomes).pause).toBe(pause);
  });
});

describe('transitions', () => {
  it.each([
    ['active', 'pause', 'paused', 0],
    ['paused', 'resume', 'active', 0],
    ['active', 'abort', 'aborted', 0],
    ['paused', 'abort', 'aborted', 0],
    ['active', 'advance', 'active', 1],
  ] as const)('%s + %s → %s', (status, action, next, stage) => {
    expect(transition({ ...base, status }, action)).toEqual({ status: next, currentStage: stage });
  });

  it('advancing past the last stage completes', () => {
    expect(transition({ ...base, currentStage: 1 }, 'advance')).toEqual({ status: 'completed', currentStage: 1 });
  });

  it.each([
    ['paused', 'pause'],
    ['active', 'resume'],
    ['aborted', 'resume'],
    ['completed', 'abort'],
    ['paused', 'advance'],
  ] as const)('%s + %s is a conflict', (status, action) => {
    expect(codeOf(() => transition({ ...base, status }, action))).toBe('ZEN_CONFLICT');
  });
});

describe('input validation', () => {
  it('defaults to all devices and 1/10/50/100', () => {
    expect(parseCohort(undefined)).toEqual({ type: 'all' });
    expect(parseStages(undefined).map((s) => s.percent)).toEqual([1, 10, 50, 100]);
    expect(stagesFromPercents('5, 50,100', 0.3).map((s) => [s.percent, s.failureThreshold])).toEqual([
      [5, 0.3],
      [50, 0.3],
      [100, 0.3],
    ]);
  });

  it.each([
    [() => parseCohort('all')],
    [() => parseCohort({ type: 'devices', deviceIds: [] })],
    [() => parseCohort({ type: 'devices', deviceIds: ['a/b'] })],
    [() => parseCohort({ type: 'tag' })],
    [() => parseCohort({ type: 'percentage', percent: 0 })],
    [() => parseCohort({ type: 'nope' })],
    [() => parseStages([])],
    [() => parseStages([{ percent: 50 }, { percent: 10 }])],
    [() => parseStages([{ percent: 101 }])],
    [() => parseStages([{ percent: 10, failureThreshold: 2 }])],
    [() => parseStages([{ percent: 10, minDevices: 0.5 }])],
    [() => stagesFromPercents('a,b')],
  ])('refuses bad input %#', (fn) => {
    expect(codeOf(fn)).toBe('ZEN_BAD_REQUEST');
  });
});

describe('summarizeRollout', () => {
  it('counts target devices per state and the installed share', () => {
    const rollout: Rollout = {
      ...base,
      cohort: { type: 'devices', deviceIds: ['dev-1', 'dev-2', 'dev-3', 'dev-4'] },
      stages: [{ percent: 100, failureThreshold: 0.5, minDevices: 1 }],
    };
    const states = new Map([
      ['dev-1', 'installed' as const],
      ['dev-2', 'failed' as const],
      ['dev-9', 'installed' as const],
    ]);
    const summary = summarizeRollout(rollout, devices, states);
    expect(summary.targeted).toBe(5);
    expect(summary.devices).toEqual({ pending: 2, downloading: 0, installed: 2, failed: 1, rolled_back: 0 });
    expect(summary.progress).toBeCloseTo(0.4);
    expect(summarizeRollout(rollout, [], new Map()).progress).toBe(0);
  });
});

describe('parseTags', () => {
  it('accepts a list of ids, dropping duplicates in order, and an empty list', () => {
    expect(parseTags(['beta', 'lab', 'beta'])).toEqual(['beta', 'lab']);
    expect(parseTags([])).toEqual([]);
  });

  it.each([['beta'], [undefined], [[1]], [['two words']], [['']], [Array.from({ length: 65 }, (_, i) => `t${i}`)]])(
    'refuses %j with ZEN_BAD_REQUEST',
    (value) => {
      expect(() => parseTags(value)).toThrow(expect.objectContaining({ code: 'ZEN_BAD_REQUEST' }) as Error);
    },
  );
});
