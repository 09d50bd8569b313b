/**
 * How fast this machine runs right now: the same single-threaded loop timed a few times. On a
 * shared virtual machine the speed of a core drifts by tens of percent from minute to minute,
 * and every figure of a run (messages/s, CPU per message) drifts with it; the loop's time taken
 * just before and just after a run shows that drift. It is arithmetic only: a slowdown from
 * memory or caches shared with other guests does not show in it (seen here: the same loop time
 * for runs 20 % apart).
 */

/** Iterations of the loop: about 95 ms on one core of the machine the figures in the README come from (Node 24). */
export const CALIBRATION_ITERATIONS = 20_000_000;

/** The loop's time in milliseconds, median / fastest / slowest of the samples. */
export interface Calibration {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samples: number;
}

/** Integer work the JIT cannot drop: the result depends on every iteration. */
export function calibrationLoop(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x + (Math.imul(i, 31) ^ (x >>> 3))) | 0;
  return x;
}

/** Summarises the loop's timings (milliseconds), rounded to 0.1 ms. */
export function summarizeCalibration(timingsMs: readonly number[]): Calibration {
  if (timingsMs.length === 0) throw new RangeError('no calibration timings');
  const sorted = [...timingsMs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const r = (v: number): number => Math.round(v * 10) / 10;
  return { medianMs: r(median), minMs: r(sorted[0] as number), maxMs: r(sorted[sorted.length - 1] as number), samples: sorted.length };
}

/** Times {@link calibrationLoop} `samples` times, after one untimed pass that gets it optimised. */
export function calibrate(samples = 5, iterations = CALIBRATION_ITERATIONS, now: () => number = () => performance.now()): Calibration {
  let sink = calibrationLoop(iterations);
  const timings: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = now();
    sink ^= calibrationLoop(iterations);
    timings.push(now() - start);
  }
  if (sink === 0.5) throw new Error('unreachable'); // keeps `sink` observable
  return summarizeCalibration(timings);
}
