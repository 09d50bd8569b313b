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
