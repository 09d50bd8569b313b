import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { sleep } from '@zenthos/core';

/** A program the stack starts in the background. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run as this OS user (when we are root and the program refuses root, like PostgreSQL). */
  readonly user?: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** True when a process with this pid exists. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The pid recorded in a pid file when that process still runs; otherwise undefined (and a stale file is removed). */
export const runningPid = (pidFile: string): number | undefined => {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
};

/**
 * Starts a program detached from this process, in its own process group, with output appended
 * to its log file, and records its pid. The CLI can exit while the service keeps running.
 */
export const launch = (spec: LaunchSpec): number => {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const out = openSync(spec.logFile, 'a');
  const [command, args] = spec.user ? ['runuser', ['-u', spec.user, '--', spec.command, ...spec.args]] : [spec.command, spec.args];
  const child = spawn(command, args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
  child.unref();
  writeFileSync(spec.pidFile, `${child.pid}\n`);
  return child.pid;
};

/** Stops a process group politely with `signal`, then forcefully after `graceMs`. */
export async function stopGroup(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<'stopped' | 'killed'> {
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signalGroup(signal);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  signalGroup('SIGKILL');
  return 'killed';
}

/** True when something accepts TCP connections on host:port. */
export const portOpen = (host: string, port: number, timeoutMs = 1000): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });

/** The last `lines` lines of a log file, for error messages. */
export const tail = (file: string, lines = 15): string => {
  if (!existsSync(file)) return '(no log yet)';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
};

/** Path of a program on PATH, or undefined. */
export const which = (name: string): string | undefined => {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
};

/** Runs a command to completion; throws with its output when it fails. */
export const run = (
  command: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; user?: string } = {},
): string => {
  const [cmd, argv] = opts.user ? ['runuser', ['-u', opts.user, '--', command, ...args]] : [command, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${(r.stdout + r.stderr).trim().slice(-4000)}`);
  }
  return r.stdout;
};
