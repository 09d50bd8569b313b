import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ZenthosError, type ErrorCode } from '@zenthos/core';
import type { LoadResult, LoadSettings } from './mqtt-load';

/** A run's settings as they cross to the load process (no callbacks). */
export type LoadRunSettings = Omit<LoadSettings, 'onProgress'>;

/** Messages of the load process (load-child.ts) to its parent. */
export type LoadChildMessage =
  | { readonly ready: true }
  | { readonly progress: readonly [acknowledged: number, errors: number] }
  | {
      readonly result: Omit<LoadResult, 'publishedAt' | 'ackLatenciesMs'> & {
        readonly ids: readonly string[];
        readonly publishedMs: Float64Array;
        readonly ackLatenciesMs: Float64Array;
      };
    }
  | { readonly error: { readonly code?: string; readonly message: string } };

/** The load generator ({@link runLoad}) in a process of its own. */
export interface LoadProcess {
  /** Its pid: its CPU and RSS are the load generator's and nothing else's. */
  readonly pid: number;
  /** One load run (one at a time). */
  run(settings: LoadRunSettings, onProgress?: (acknowledged: number, errors: number) => void): Promise<LoadResult>;
  /** Ends the process. */
  close(): Promise<void>;
}

/**
 * The child's compiled script: beside this file in dist/, or, when this file runs from its
 * TypeScript source (jest), the compiled copy in dist/src (fork needs JavaScript).
 */
const childScript = (): string =>
  __filename.endsWith('.ts') ? join(__dirname, '..', 'dist', 'src', 'load-child.js') : join(__dirname, 'load-child.js');

/**
 * Starts the load generator ({@link runLoad}) in a child process and resolves once it is ready to
 * run, so that a benchmark can measure it alone and its event loop shares nothing with the
 * benchmark's: `zenthos bench` polls Postgres, samples /proc and holds Kafka and database
 * clients, whose CPU and memory were counted as the generator's while it ran in-process. Settings
 * and results cross the IPC channel with structured-clone serialization (typed arrays stay binary).
 */
export async function startLoadProcess(): Promise<LoadProcess> {
  const child: ChildProcess = fork(childScript(), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new ZenthosError('ZEN_INTERNAL', `the load generator process exited with code ${code} before it was ready`)),
    );
  });
  let busy = false;
  return {
    pid: child.pid as number,
    run(settings, onProgress) {
      if (busy) return Promise.reject(new ZenthosError('ZEN_INTERNAL', 'the load generator process runs one load at a time'));
      busy = true;
      return new Promise<LoadResult>((resolve, reject) => {
        const onExit = (code: number | null): void => {
          busy = false;
          reject(new ZenthosError('ZEN_INTERNAL', `the load generator process exited with code ${code} during a run`));
        };
        const onMessage = (m: LoadChildMessage): void => {
          if ('progress' in m) {
            onProgress?.(m.progress[0], m.progress[1]);
            return;
          }
          if ('ready' in m) return;
          child.off('message', onMessage);
          child.off('exit', onExit);
          busy = false;
          if ('error' in m) {
            reject(new ZenthosError((m.error.code ?? 'ZEN_INTERNAL') as ErrorCode, m.error.message));
            return;
          }
          const { ids, publishedMs, ackLatenciesMs, ...counts } = m.result;
          const publishedAt = new Map<string, number>();
          ids.forEach((id, i) => publishedAt.set(id, publishedMs[i] as number));
          resolve({ ...counts, publishedAt, ackLatenciesMs: Array.from(ackLatenciesMs) });
        };
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ run: settings });
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ exit: true });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
