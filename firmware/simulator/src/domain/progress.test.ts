import { addCounters, formatProgress, ratePerSecond, summarize, zeroCounters, type ProgressSample } from './progress';

const sample = (elapsedMs: number, acknowledged: number, extra: Partial<ReturnType<typeof zeroCounters>> = {}): ProgressSample => ({
  elapsedMs,
  counters: { ...zeroCounters(), sent: acknowledged + 2, acknowledged, ...extra },
  connected: 3,
  devices: 4,
  versions: { 'v0.1.0': 4 },
});

describe('progress', () => {
  it('adds counters of many devices, gauges included', () => {
    const total = zeroCounters();
    addCounters(total, { sent: 5, acknowledged: 4, inFlight: 1, buffered: 2 });
    addCounters(total, { sent: 3, acknowledged: 3, otaInstalled: 1 });
    expect(total).toEqual({ ...zeroCounters(), sent: 8, acknowledged: 7, inFlight: 1, buffered: 2, otaInstalled: 1 });
  });

  it.each([
    ['first sample: average since start', undefined, sample(2_000, 100), 50],
    ['between two samples', sample(1_000, 100), sample(2_000, 300), 200],
    ['no time passed', sample(1_000, 100), sample(1_000, 300), 0],
    ['nothing elapsed yet', undefined, sample(0, 0), 0],
  ])('rate: %s', (_name, previous, current, expected) => {
    expect(ratePerSecond(previous, current)).toBe(expected);
  });

  it('formats one line with sent, acknowledged, rate, errors and buffered', () => {
    const line = formatProgress(sample(12_345, 1190, { errors: 1, buffered: 10 }), 99.84, 60_000);
    expect(line).toBe('[  12s/60s]  devices 3/4  sent 1,192  acked 1,190  rate 99.8/s  errors 1  buffered 10');
  });

  it('shows OTA outcomes, drops and mixed firmware versions only when there are some', () => {
    const s: ProgressSample = { ...sample(5_000, 10, { otaInstalled: 2, dropped: 3 }), versions: { 'v0.1.0': 2, 'v0.2.0': 2 } };
    const line = formatProgress(s, 1, 60_000);
    expect(line).toContain('dropped 3');
    expect(line).toContain('ota 2 ok 0 failed 0 rolled back');
    expect(line).toContain('v0.1.0×2 v0.2.0×2');
    expect(formatProgress(sample(5_000, 10), 1, 60_000)).not.toContain('ota');
  });

  it('summarizes the last sample', () => {
    const s = summarize(sample(10_000, 500, { otaInstalled: 4 }), true);
    expect(s).toEqual({
      devices: 4,
      durationS: 10,
      sent: 502,
      acknowledged: 500,
      errors: 0,
      buffered: 0,
      dropped: 0,
      ratePerSecond: 50,
      ota: { installed: 4, failed: 0, rolledBack: 0 },
      firmwareVersions: { 'v0.1.0': 4 },
      drained: true,
    });
  });
});
