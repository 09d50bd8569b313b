import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, ZenthosError } from '@zenthos/core';
import type { StackConfig } from './config';
import { launch, portOpen, runningPid, stopGroup, tail } from './process';
import { stackServices, type ServiceDef, type ServicePaths } from './services';

/** What `status` knows about one service. */
export interface ServiceStatus {
  readonly name: ServiceDef['name'];
  readonly address: string;
  /** `managed`: started by `zenthos stack up`; `external`: configured elsewhere or already running; `none`: nothing runs. */
  readonly owner: 'managed' | 'external' | 'none';
  readonly pid?: number;
  readonly health: 'up' | 'down';
  readonly detail?: string;
  readonly logFile?: string;
}

/** What `up` did to one service. */
export interface UpResult {
  readonly name: ServiceDef['name'];
  readonly action: 'started' | 'already-running' | 'external';
  readonly address: string;
}

const errText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';

/** The local service stack: starts, checks and stops Kafka, PostgreSQL, RabbitMQ, Redis and Mosquitto. */
export class Stack {
  private readonly services: ServiceDef[];

  constructor(
    private readonly root: string,
    cfg: StackConfig,
    private readonly startTimeoutMs = cfg.STACK_START_TIMEOUT_S * 1000,
  ) {
    this.services = stackServices(cfg);
  }

  /** Names of the services, in start order. */
  names(): string[] {
    return this.services.map((s) => s.name);
  }

  paths(name: string): ServicePaths {
    const base = join(this.root, '.zenthos');
    return { data: join(base, 'data', name), logFile: join(base, 'logs', `${name}.log`), pidFile: join(base, 'run', `${name}.pid`) };
  }

  private select(only?: readonly string[]): ServiceDef[] {
    if (!only || only.length === 0) return this.services;
    const unknown = only.filter((n) => !this.services.some((s) => s.name === n));
    if (unknown.length > 0)
      throw new ZenthosError('ZEN_BAD_REQUEST', `unknown service ${unknown.join(', ')} (known: ${this.names().join(', ')})`);
    return this.services.filter((s) => only.includes(s.name));
  }

  private async healthy(svc: ServiceDef): Promise<string | undefined> {
    try {
      await svc.health();
      return undefined;
    } catch (err) {
      return errText(err) || 'not answering';
    }
  }

  private async waitHealthy(svc: ServiceDef, pid: number | undefined, paths: ServicePaths): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    let last = 'not answering';
    while (Date.now() < deadline) {
      const problem = await this.healthy(svc);
      if (problem === undefined) return;
      last = problem;
      if (pid !== undefined && runningPid(paths.pidFile) === undefined) {
        throw new ZenthosError(
          'ZEN_STACK_SERVICE_FAILED',
          `${svc.name} exited while starting; log ${paths.logFile}:\n${tail(paths.logFile)}`,
        );
      }
      await sleep(500);
    }
    throw new ZenthosError(
      'ZEN_STACK_SERVICE_FAILED',
      `${svc.name} did not become healthy within ${this.startTimeoutMs / 1000} s (${last}); log ${paths.logFile}:\n${tail(paths.logFile)}`,
    );
  }

  private async upOne(svc: ServiceDef, log: (line: string) => void): Promise<UpResult> {
    const paths = this.paths(svc.name);
    if (!svc.local) {
      const problem = await this.healthy(svc);
      if (problem)
        throw new ZenthosError('ZEN_STACK_SERVICE_FAILED', `${svc.name} at ${svc.address} (external) is not healthy: ${problem}`);
      return { name: svc.name, action: 'external', address: svc.address };
    }
    const pid = runningPid(paths.pidFile);
    if (pid !== undefined) {
      await this.waitHealthy(svc, pid, paths);
      return { name: svc.name, action: 'already-running', address: svc.address };
    }
    if (await portOpen(svc.host, svc.port)) {
      // Something already listens there: use it when it speaks the protocol, never start a second copy.
      const problem = await this.healthy(svc);
      if (problem) {
        throw new ZenthosError(
          'ZEN_STACK_PORT_BUSY',
          `${svc.name}: port ${svc.port} is taken by another program that does not answer as ${svc.name} (${problem})`,
        );
      }
      await svc.afterStart?.(paths);
      return { name: svc.name, action: 'external', address: svc.address };
    }
    log(`${svc.name}: preparing`);
    try {
      await svc.prepare(paths, this.root);
    } catch (err) {
      if (err instanceof ZenthosError) throw err;
      throw new ZenthosError(
        'ZEN_STACK_SERVICE_FAILED',
        `${svc.name}: preparation failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const started = launch(svc.launchSpec(paths, this.root));
    log(`${svc.name}: started (pid ${started}), waiting until healthy; log ${paths.logFile}`);
    await this.waitHealthy(svc, started, paths);
    await svc.afterStart?.(paths);
    return { name: svc.name, action: 'started', address: svc.address };
  }

  /** Makes every selected service run and answer; a second call changes nothing. */
  async up(only?: readonly string[], log: (line: string) => void = () => undefined): Promise<UpResult[]> {
    const results = await Promise.allSettled(this.select(only).map((svc) => this.upOne(svc, log)));
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failures.length > 0) {
      const first = failures[0];
      if (failures.length === 1 && first instanceof ZenthosError) throw first;
      throw new ZenthosError('ZEN_STACK_SERVICE_FAILED', failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n'));
    }
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /** Health of every selected service; never throws for a service that is down. */
  async status(only?: readonly string[]): Promise<ServiceStatus[]> {
    return Promise.all(
      this.select(only).map(async (svc): Promise<ServiceStatus> => {
        const paths = this.paths(svc.name);
        const pid = svc.local ? runningPid(paths.pidFile) : undefined;
        const problem = await this.healthy(svc);
        const owner = pid !== undefined ? 'managed' : problem === undefined ? 'external' : 'none';
        return {
          name: svc.name,
          address: svc.address,
          owner,
          ...(pid !== undefined ? { pid } : {}),
          health: problem === undefined ? 'up' : 'down',
          ...(problem !== undefined ? { detail: problem } : {}),
          ...(existsSync(paths.logFile) ? { logFile: paths.logFile } : {}),
        };
      }),
    );
  }

  /** Stops the selected services that `up` started, in reverse order; others are left alone. */
  async down(only?: readonly string[], log: (line: string) => void = () => undefined): Promise<string[]> {
    const stopped: string[] = [];
    for (const svc of [...this.select(only)].reverse()) {
      const paths = this.paths(svc.name);
      const pid = runningPid(paths.pidFile);
      if (pid === undefined) continue;
      const how = await stopGroup(pid, svc.stopSignal, svc.name === 'kafka' ? 30_000 : 20_000);
      runningPid(paths.pidFile);
      log(`${svc.name}: ${how}`);
      stopped.push(svc.name);
    }
    return stopped;
  }
}
