import { coresUsed, parseCpuTicks, parseStatusKb } from './proc-stat';

// A real /proc/<pid>/stat line, with a command name holding a space and a parenthesis.
const stat =
  '4242 (node (zenthos) x) S 1 4242 4242 0 -1 4194560 12345 0 0 0 1500 250 0 0 20 0 11 0 123456 1073741824 25600 18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0';

describe('/proc parsing', () => {
  it('adds utime and stime after the command name', () => {
    expect(parseCpuTicks(stat)).toBe(1750);
  });
  it('refuses a line without a command name', () => {
    expect(parseCpuTicks('garbage')).toBeUndefined();
  });
  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseStatusKb(status, 'VmRSS')).toBe(100 * 1024 * 1024);
    expect(parseStatusKb(status, 'VmHWM')).toBe(200 * 1024 * 1024);
    expect(parseStatusKb('Name:\tkthread\n', 'VmRSS')).toBeUndefined();
  });
  it('turns CPU ticks over wall time into cores', () => {
    const before = { cpuTicks: 1000, rssBytes: 0, peakRssBytes: 0 };
    expect(coresUsed(before, { ...before, cpuTicks: 1150 }, 1_000)).toBe(1.5);
    expect(coresUsed(before, before, 0)).toBe(0);
  });
});
