import { cpuMsPerMessage, totalCpuMsPerMessage } from './cpu';

describe('cpuMsPerMessage', () => {
  it.each([
    [0.94, 150_000, 0.006],
    [1.25, 50_000, 0.025],
    [0.0004, 1, 0.4],
    [3, 0, 0],
  ])('%p CPU seconds over %p messages → %p ms each', (cpuSeconds, messages, expected) => {
    expect(cpuMsPerMessage(cpuSeconds, messages)).toBe(expected);
  });
});

describe('totalCpuMsPerMessage', () => {
  it('sums the CPU seconds before dividing, so per-process rounding does not add up', () => {
    // Each alone is 0.0004 ms per message (rounds to 0); together 0.0012 → 0.001.
    const usages = [{ cpuSeconds: 0.4 }, { cpuSeconds: 0.4 }, { cpuSeconds: 0.4 }];
    expect(usages.map((u) => cpuMsPerMessage(u.cpuSeconds, 1_000_000))).toEqual([0, 0, 0]);
    expect(totalCpuMsPerMessage(usages, 1_000_000)).toBe(0.001);
  });
  it('adds services and the shared stack alike', () => {
    const services = { bridge: { cpuSeconds: 1.25, pid: 1 }, sink: { cpuSeconds: 0.75, pid: 2 } };
    const infrastructure = { 'kafka-broker': { cpuSeconds: 1 } };
    expect(totalCpuMsPerMessage([...Object.values(services), ...Object.values(infrastructure)], 50_000)).toBe(0.06);
  });
  it('is 0 for no processes or no messages', () => {
    expect(totalCpuMsPerMessage([], 1_000)).toBe(0);
    expect(totalCpuMsPerMessage([{ cpuSeconds: 2 }], 0)).toBe(0);
  });
});
