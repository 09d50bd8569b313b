import { percentile, ratePerSecond, ratio, summarizeLatencies } from './stats';

describe('percentile (nearest rank)', () => {
  const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  it.each([
    [50, 5],
    [90, 9],
    [99, 10],
    [100, 10],
    [10, 1],
    [1, 1],
  ])('p%d of 1..10 is %d', (p, expected) => expect(percentile(values, p)).toBe(expected));

  it('is a measured value for 100 values', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
  });

  it('is NaN for no values', () => expect(percentile([], 50)).toBeNaN());
});

describe('summarizeLatencies', () => {
  it('sorts and summarizes', () => {
    expect(summarizeLatencies([30, 10, 20, 40])).toEqual({ count: 4, minMs: 10, p50Ms: 20, p90Ms: 40, p99Ms: 40, maxMs: 40, meanMs: 25 });
  });
  it('rounds to a tenth of a millisecond', () => {
    expect(summarizeLatencies([1.234])?.p50Ms).toBe(1.2);
  });
  it('is undefined for no values', () => expect(summarizeLatencies([])).toBeUndefined());
});

describe('ratePerSecond and ratio', () => {
  it('computes messages per second', () => {
    expect(ratePerSecond(10_000, 1_000, 3_000)).toBe(5_000);
    expect(ratePerSecond(10, 5, 5)).toBe(0);
  });
  it('computes ratios, null when a side is missing', () => {
    expect(ratio(5_000, 20_000)).toBe(0.25);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(undefined, 3)).toBeNull();
    expect(ratio(1, 0)).toBeNull();
  });
});
