import { coresUsed, listeningSocketInodes, parseCpuTicks, parseStatusKb, processAgeSeconds } from './proc-stat';

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
  it('tells how long a process has run from its start time and the uptime', () => {
    // starttime 123456 ticks = 1234.56 s after boot.
    expect(processAgeSeconds(stat, '1300.00 2400.00\n')).toBe(65);
    expect(processAgeSeconds(stat, '1234.60 1.0')).toBe(0);
    expect(processAgeSeconds('garbage', '1300.00 1.0')).toBeUndefined();
    expect(processAgeSeconds(stat, '')).toBeUndefined();
  });
  it('finds the inodes of the sockets listening on a port', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1467638 1 0000 100 0 0 10 0',
      '   1: 0100007F:2384 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 1467999 1 0000 20 4 30 10 -1',
      '   2: 00000000:0764 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1464821 1 0000 100 0 0 10 0',
    ].join('\n');
    // 0x2384 = 9092; the established connection (state 01) on the same port is not a listener.
    expect([...listeningSocketInodes(tcp, 9092)]).toEqual(['1467638']);
    expect([...listeningSocketInodes(tcp, 1892)]).toEqual(['1464821']);
    expect(listeningSocketInodes(tcp, 5432).size).toBe(0);
  });
});
