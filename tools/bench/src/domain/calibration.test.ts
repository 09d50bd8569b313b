import { calibrate, calibrationLoop, summarizeCalibration } from './calibration';

describe('summarizeCalibration', () => {
  it('gives the median, fastest and slowest of an odd count', () => {
    expect(summarizeCalibration([120, 100, 140.04, 110, 105])).toEqual({ medianMs: 110, minMs: 100, maxMs: 140, samples: 5 });
  });
  it('averages the middle two of an even count', () => {
    expect(summarizeCalibration([100, 130, 110, 120])).toEqual({ medianMs: 115, minMs: 100, maxMs: 130, samples: 4 });
  });
  it('refuses no timings', () => {
    expect(() => summarizeCalibration([])).toThrow(RangeError);
  });
});

describe('calibrate', () => {
  it('times each sample with the given clock', () => {
    let t = 0;
    const steps = [0, 10, 10, 25, 25, 40]; // samples of 10, 15 and 15 ms
    const clock = (): number => steps[t++] ?? 0;
    expect(calibrate(3, 1_000, clock)).toEqual({ medianMs: 15, minMs: 10, maxMs: 15, samples: 3 });
  });
  it('loops: the result depends on the iteration count', () => {
    expect(calibrationLoop(1_000)).not.toBe(calibrationLoop(1_001));
  });
});
