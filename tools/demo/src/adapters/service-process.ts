import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ZenthosError } from '@zenthos/core';
import type { ServiceSpec } from '../domain/services';

/** The checkout's root: the folder holding `cli/bin/zenthos.js`, found upwards from here. */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'cli', 'bin', 'zenthos.js')) && existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new ZenthosError('ZEN_CONFIG_INVALID', `cannot find the project root (cli/bin/zenthos.js) above ${from}`);
    dir = up;
  }
}

/** A port the OS says is free now (bound to 127.0.0.1:0 and released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** True when something accepts connections on 127.0.0.1:port. */
export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

/** A service running as a child process. */
export interface ServiceProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Set once the process ended. */
  readonly exitCode: number | null | undefined;
  /** Resolves when `GET readyUrl` answers 200; rejects when the process exits, time runs out or `signal` aborts. */
  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** SIGTERM (graceful: services finish their batch and commit), SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<void>;
}

/** The last lines of a log file, for an error message. */
export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Lowers the CPU priority of a service started in a session of its own to `nice`. Where the kernel
 * groups sessions (autogroups, /proc/<pid>/autogroup), a full CPU is shared between groups first,
 * so the group's nice value is what counts between services; elsewhere the process's main thread
 * is set, and the threads it starts later inherit it.
 */
export function lowerServicePriority(pid: number, nice: number): void {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) {
    throw new ZenthosError('ZEN_CONFIG_INVALID', `nice value must be an integer from 0 to 19, got ${nice}`);
  }
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch {
    setPriority(pid, nice);
  }
}

/**
 * Starts `zenthos <spec.args>` with the current Node.js as a child process in its own process
 * group (and session), at CPU priority `spec.nice` (see lowerServicePriority), stdout and stderr
 * appended to `<logDir>/<name>.log`. Its own group keeps a terminal's Ctrl-C away from it, so
 * the parent stops the services in order; a parent that dies anyway kills them on exit.
 */
export function startService(spec: ServiceSpec, options: { logDir: string; env: NodeJS.ProcessEnv; root?: string }): ServiceProcess {
  const root = options.root ?? projectRoot();
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${spec.name}.log`);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [join(root, 'cli', 'bin', 'zenthos.js'), ...spec.args], {
      cwd: root,
      env: { ...options.env, ...spec.env },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid ?? -1;
  if (spec.nice && pid > 0) {
    try {
      lowerServicePriority(pid, spec.nice);
    } catch (err) {
      // Started anyway, at normal priority: said in its log.
      writeFileSync(logFile, `zenthos: could not lower the CPU priority to nice ${spec.nice}: ${(err as Error).message}\n`, { flag: 'a' });
    }
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      process.off('exit', killOnExit);
      resolve();
    });
    child.once('error', () => {
      exitCode = -1;
      resolve();
    });
  });
  const killOnExit = (): void => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', killOnExit);

  return {
    name: spec.name,
    pid,
    logFile,
    get exitCode() {
      return exitCode;
    },
    async waitReady(timeoutMs, signal) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (signal?.aborted) throw new ZenthosError('ZEN_TIMEOUT', `stopped waiting for ${spec.name}: interrupted`);
        if (exitCode !== undefined) {
          throw new ZenthosError(
            'ZEN_DEPENDENCY_UNAVAILABLE',
            `${spec.name} exited (code ${exitCode}) before it was ready:\n${tailOf(logFile)}`,
          );
        }
        try {
          const res = await fetch(spec.readyUrl, { signal: AbortSignal.timeout(1_000) });
          await res.arrayBuffer();
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new ZenthosError(
        'ZEN_TIMEOUT',
        `${spec.name} was not ready within ${timeoutMs} ms (${spec.readyUrl}):\n${tailOf(logFile)}`,
        true,
      );
    },
    async stop(graceMs) {
      if (exitCode !== undefined) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      const timer = setTimeout(killOnExit, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `zenthos <args>` to completion and returns its stdout; rejects with the output on failure. */
export function runZenthos(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; root?: string; timeoutMs?: number },
): Promise<string> {
  const root = options.root ?? projectRoot();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'cli', 'bin', 'zenthos.js'), ...args], { cwd: root, env: options.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `zenthos ${args.join(' ')} failed (code ${code}):\n${err || out}`));
    });
  });
}
