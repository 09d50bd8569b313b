import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { coresUsed, listeningSocketInodes, parseCpuTicks, parseStatusKb, processAgeSeconds, type ProcSample } from '../domain/proc-stat';

/** One process's sample, or undefined when it is gone (or /proc is missing: not Linux). */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const cpuTicks = parseCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (cpuTicks === undefined) return undefined;
    return { cpuTicks, rssBytes: parseStatusKb(status, 'VmRSS') ?? 0, peakRssBytes: parseStatusKb(status, 'VmHWM') ?? 0 };
  } catch {
    return undefined;
  }
}

/** CPU and memory of one process over a measured window. */
export interface ProcessUsage {
  readonly pid: number;
  /** Average cores used over the window (1.0 = one core busy all the time). */
  readonly cpuCores: number;
  readonly cpuSeconds: number;
  /** Largest RSS seen by the sampler during the window, MiB. */
  readonly maxRssMiB: number;
  /** The kernel's peak RSS of the process's whole life (VmHWM), MiB. */
  readonly peakRssMiB: number;
}

/** Samples processes from {@link ResourceSampler.start} to {@link ResourceSampler.stop}. */
export interface ResourceSampler {
  start(): void;
  stop(): Record<string, ProcessUsage>;
}

const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * CPU from utime + stime of /proc/<pid>/stat at both ends of the window, RSS from
 * /proc/<pid>/status every `intervalMs` (VmRSS) plus the kernel's high-water mark (VmHWM).
 */
export function createResourceSampler(pids: Readonly<Record<string, number>>, intervalMs = 500): ResourceSampler {
  const first = new Map<string, ProcSample>();
  const maxRss = new Map<string, number>();
  let startedMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const poll = (): void => {
    for (const [name, pid] of Object.entries(pids)) {
      const s = sampleProcess(pid);
      if (s) maxRss.set(name, Math.max(maxRss.get(name) ?? 0, s.rssBytes));
    }
  };
  return {
    start() {
      startedMs = Date.now();
      for (const [name, pid] of Object.entries(pids)) {
        const s = sampleProcess(pid);
        if (s) first.set(name, s);
      }
      poll();
      timer = setInterval(poll, intervalMs);
    },
    stop() {
      clearInterval(timer);
      poll();
      const wallMs = Date.now() - startedMs;
      const out: Record<string, ProcessUsage> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const a = first.get(name);
        const b = sampleProcess(pid);
        if (!a || !b) continue;
        out[name] = {
          pid,
          cpuCores: coresUsed(a, b, wallMs),
          cpuSeconds: Math.round(b.cpuTicks - a.cpuTicks) / 100,
          maxRssMiB: mib(maxRss.get(name) ?? b.rssBytes),
          peakRssMiB: mib(b.peakRssBytes),
        };
      }
      return out;
    },
  };
}

const cmdlineOf = (pid: string): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

const commOf = (pid: string): string => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

const readOr = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Which of `pids` hold a socket listening on TCP `port` (from /proc/net/tcp{,6} and /proc/<pid>/fd). */
export function pidsListeningOn(pids: readonly number[], port: number): number[] {
  const inodes = new Set([
    ...listeningSocketInodes(readOr('/proc/net/tcp'), port),
    ...listeningSocketInodes(readOr('/proc/net/tcp6'), port),
  ]);
  if (inodes.size === 0) return [];
  return pids.filter((pid) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return link.startsWith('socket:[') && inodes.has(link.slice(8, -1));
      } catch {
        return false;
      }
    });
  });
}

/**
 * The local stack's shared services by process: the Kafka broker (a JVM whose main class is
 * `kafka.Kafka`), every `postgres` process (postmaster and backends alive now) and
 * `redis-server`. Empty where /proc is missing. With `kafkaPorts` (the ports of the benchmark's
 * KAFKA_BROKERS), only the brokers listening on one of them: private brokers that tests start
 * on the same machine are not the benchmark's (when none is found listening, all are kept).
 */
export function findInfrastructure(kafkaPorts: readonly number[] = []): Record<string, number[]> {
  const out: Record<string, number[]> = { 'kafka-broker': [], postgres: [], redis: [] };
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return {};
  }
  for (const pid of entries) {
    const comm = commOf(pid);
    if (comm === 'postgres') out.postgres?.push(Number(pid));
    else if (comm === 'redis-server') out.redis?.push(Number(pid));
    else if (comm === 'java' && cmdlineOf(pid).includes('kafka.Kafka')) out['kafka-broker']?.push(Number(pid));
  }
  const brokers = out['kafka-broker'] ?? [];
  if (kafkaPorts.length > 0 && brokers.length > 1) {
    const ours = [...new Set(kafkaPorts.flatMap((port) => pidsListeningOn(brokers, port)))];
    if (ours.length > 0) out['kafka-broker'] = ours;
  }
  return Object.fromEntries(Object.entries(out).filter(([, pids]) => pids.length > 0));
}

/** CPU of a group of processes over a window (processes started inside the window are not seen). */
export interface GroupUsage {
  readonly pids: readonly number[];
  readonly cpuCores: number;
  readonly cpuSeconds: number;
}

/** Samples groups of processes' utime + stime at {@link start} and {@link stop}. */
export function createGroupSampler(groups: Readonly<Record<string, readonly number[]>>): {
  start(): void;
  stop(): Record<string, GroupUsage>;
} {
  const ticks = (pids: readonly number[]): Map<number, number> =>
    new Map(
      pids.flatMap((pid) => {
        const s = sampleProcess(pid);
        return s ? [[pid, s.cpuTicks] as const] : [];
      }),
    );
  const first = new Map<string, Map<number, number>>();
  let startedMs = 0;
  return {
    start() {
      startedMs = Date.now();
      for (const [name, pids] of Object.entries(groups)) first.set(name, ticks(pids));
    },
    stop() {
      const wallS = (Date.now() - startedMs) / 1000;
      const out: Record<string, GroupUsage> = {};
      for (const [name, pids] of Object.entries(groups)) {
        const a = first.get(name) ?? new Map<number, number>();
        const b = ticks(pids);
        let delta = 0;
        // Only processes alive at both ends: one that exited took its ticks with it.
        for (const [pid, t] of b) delta += t - (a.get(pid) ?? t);
        const cpuSeconds = delta / 100;
        out[name] = { pids, cpuSeconds, cpuCores: wallS > 0 ? Math.round((cpuSeconds / wallS) * 100) / 100 : 0 };
      }
      return out;
    },
  };
}

/** Seconds since the youngest of `pids` started, from /proc; undefined when none can be read. */
export function youngestAgeSeconds(pids: readonly number[]): number | undefined {
  let youngest: number | undefined;
  let uptime: string;
  try {
    uptime = readFileSync('/proc/uptime', 'utf8');
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    try {
      const age = processAgeSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), uptime);
      if (age !== undefined && (youngest === undefined || age < youngest)) youngest = age;
    } catch {
      // gone meanwhile
    }
  }
  return youngest;
}
