import { highestHeldRate, judgePacedRun, spanRatePerSecond, type PacedRunInput, type SweepPoint } from './paced';

describe('spanRatePerSecond', () => {
  it.each([
    [8_001, 0, 1_000, 8_000], // 8,001 events exactly 1/8000 s apart span 1 s
    [2, 1_000, 1_000.5, 2_000],
    [1, 0, 1_000, 0],
    [10, 5, 5, 0],
  ])('%p events over [%p, %p] ms → %p/s', (count, first, last, expected) => expect(spanRatePerSecond(count, first, last)).toBe(expected));
});

// 10 s at 8,000 msg/s: 80,001 messages, rows 150 ms behind.
const steady: PacedRunInput = {
  offeredPerSecond: 8_000,
  published: 80_001,
  firstPublishMs: 0,
  lastPublishMs: 10_000,
  rows: 80_001,
  firstRowMs: 150,
  lastRowMs: 10_150,
  rowsAfterLastPublish: 1_200,
};

describe('judgePacedRun', () => {
  it('a run whose rows follow the publishes at the offered rate is sustained', () => {
    expect(judgePacedRun(steady)).toEqual({
      offeredPerSecond: 8_000,
      publishedPerSecond: 8_000,
      achievedPerSecond: 8_000,
      backlogAtEnd: 1_200,
      drainMs: 150,
      sustained: true,
      shortfalls: [],
    });
  });

  it('rows that fall behind (the span stretches, the backlog grows) are not sustained, with both reasons', () => {
    const r = judgePacedRun({ ...steady, lastRowMs: 12_150, rowsAfterLastPublish: 16_000 });
    expect(r.sustained).toBe(false);
    expect(r.achievedPerSecond).toBe(6_666.7);
    expect(r.drainMs).toBe(2_150);
    expect(r.shortfalls).toEqual([
      'achieved 6666.7 msg/s < 98% of the offered 8000',
      'backlog at the end 16000 > 8000 (1 s of the offered rate)',
    ]);
  });

  it('a generator held back by a full window shows in the published rate and fails the achieved rate', () => {
    const r = judgePacedRun({ ...steady, lastPublishMs: 11_000, lastRowMs: 11_150 });
    expect(r.publishedPerSecond).toBe(7_272.7);
    expect(r.sustained).toBe(false);
  });

  it('98% of the offered rate is enough; less is not', () => {
    expect(judgePacedRun({ ...steady, lastRowMs: 150 + 10_000 / 0.98 }).sustained).toBe(true);
    expect(judgePacedRun({ ...steady, lastRowMs: 150 + 10_000 / 0.979 }).sustained).toBe(false);
  });

  it('no rows is not sustained', () => {
    const r = judgePacedRun({ ...steady, rows: 0, firstRowMs: 0, lastRowMs: 0, rowsAfterLastPublish: 0 });
    expect(r).toMatchObject({ sustained: false, shortfalls: ['no rows'], drainMs: 0 });
  });
});

describe('highestHeldRate', () => {
  const point = (offeredPerSecond: number, over: Partial<SweepPoint> = {}): SweepPoint => ({
    offeredPerSecond,
    sustained: true,
    p99Ms: 300,
    lost: 0,
    duplicated: 0,
    ...over,
  });
  it('is the highest rate sustained with p99 under 1 s and nothing lost or duplicated', () => {
    expect(highestHeldRate([point(8_000), point(12_000), point(16_000, { p99Ms: 1_000 }), point(20_000, { sustained: false })])).toBe(
      12_000,
    );
    expect(highestHeldRate([point(16_000), point(8_000)])).toBe(16_000);
    expect(highestHeldRate([point(8_000, { lost: 1 }), point(12_000, { duplicated: 2 }), point(4_000, { p99Ms: null })])).toBeNull();
    expect(highestHeldRate([])).toBeNull();
  });
});
