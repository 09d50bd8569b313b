/** CPU time and memory of one process, as Linux /proc shows it. */
export interface ProcSample {
  /** utime + stime, in clock ticks (USER_HZ, 100 on Linux). */
  readonly cpuTicks: number;
  /** Resident set size now, in bytes (VmRSS). */
  readonly rssBytes: number;
  /** Peak resident set size, in bytes (VmHWM). */
  readonly peakRssBytes: number;
}

/**
 * utime + stime from `/proc/<pid>/stat` (proc(5): fields 14 and 15). The command name (field 2)
 * is in parentheses and may hold spaces, so fields are counted after its closing parenthesis.
 */
export function parseCpuTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " comes field 3 (state); utime is field 14 → index 11 of the rest.
  const rest = stat
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : undefined;
}

/** A `Vm…:   1234 kB` line of `/proc/<pid>/status`, in bytes. */
export function parseStatusKb(status: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Cores used between two samples: CPU seconds / wall seconds. */
export function coresUsed(before: ProcSample, after: ProcSample, wallMs: number, ticksPerSecond = 100): number {
  if (wallMs <= 0) return 0;
  return Math.round(((after.cpuTicks - before.cpuTicks) / ticksPerSecond / (wallMs / 1000)) * 100) / 100;
}

/**
 * How long a process has run, in seconds: `/proc/uptime` (seconds since boot, first number)
 * minus its start time, field 22 of `/proc/<pid>/stat` (clock ticks after boot, proc(5)).
 */
export function processAgeSeconds(stat: string, uptime: string, ticksPerSecond = 100): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " comes field 3; starttime is field 22 → index 19 of the rest.
  const start = Number(
    stat
      .slice(close + 2)
      .trim()
      .split(/\s+/)[19],
  );
  const upText = uptime.trim().split(/\s+/)[0];
  const up = upText ? Number(upText) : Number.NaN;
  return Number.isFinite(start) && Number.isFinite(up) ? Math.max(0, Math.round(up - start / ticksPerSecond)) : undefined;
}

/**
 * Inodes of the sockets listening on TCP `port`, from the text of `/proc/net/tcp` or
 * `/proc/net/tcp6` (proc(5): local address as hex `ADDR:PORT`, state `0A` = LISTEN, inode the
 * tenth column). A process owns such a socket when one of its `/proc/<pid>/fd` links reads
 * `socket:[inode]`.
 */
export function listeningSocketInodes(procNetTcp: string, port: number): Set<string> {
  const out = new Set<string>();
  for (const line of procNetTcp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    if (!local || f[3] !== '0A') continue;
    if (parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port && f[9]) out.add(f[9]);
  }
  return out;
}
