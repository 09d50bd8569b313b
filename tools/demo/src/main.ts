import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createPool } from '@zenthos/db';
import {
  createOtaApiClient,
  deviceIdsFor,
  loadSimConfig,
  mapLimited,
  startSimulation,
  type OtaApiClient,
  type RolloutView,
  type SimSummary,
  type Simulation,
} from '@zenthos/simulator';
import type { DemoConfig } from './config';
import { demoVersions, planRollout } from './domain/rollout-plan';
import { defaultPorts, type PlatformNames } from './domain/services';
import { startPlatform, topicRecordCount, type Platform } from './adapters/platform';
import { openEnvelopeTap, type EnvelopeTap } from './adapters/rabbit';
import { runZenthos } from './adapters/service-process';

/** Options of one demo run. */
export interface DemoOptions {
  readonly devices: number;
  readonly durationMs: number;
  readonly ratePerDevice: number;
  readonly model: string;
  readonly stages: readonly number[];
}

/** What the demo prints at the end. */
export interface DemoSummary {
  readonly devices: number;
  readonly durationS: number;
  readonly simulator: SimSummary | null;
  /** Rows of the demo devices written to telemetry_raw during this run. */
  readonly telemetryRows: number;
  /** Envelopes routed to RabbitMQ sensor_data during this run. */
  readonly sensorDataEnvelopes: number | null;
  readonly release: { readonly from: string; readonly to: string };
  /** Demo devices whose registry row says they run the new release. */
  readonly devicesUpdated: number;
  readonly rollout: { readonly id: string; readonly status: string; readonly reports: RolloutView['reports'] } | null;
  /** Records added to `<prefix>.dlq` during this run. */
  readonly deadLetters: number;
  readonly interrupted: boolean;
}

/** Streams of the demo: human lines (stderr) and the final JSON (stdout). */
export interface DemoIo {
  readonly log: (line: string) => void;
  /** Aborts the run (Ctrl-C): everything stops cleanly and the summary shows what happened. */
  readonly signal?: AbortSignal;
}

const sleepUnless = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** A management token with every scope, made by `zenthos tokens create` against the same database. */
async function managementToken(env: NodeJS.ProcessEnv): Promise<string> {
  const out = await runZenthos(['tokens', 'create', '--scope', 'read,publish,rollback', '--name', 'demo', '--ttl-days', '1'], { env });
  return (JSON.parse(out) as { token: string }).token;
}

/**
 * The demo: starts every service, registers the devices through the OTA API, publishes a signed
 * firmware, runs the simulated fleet while the rollout widens stage by stage, and summarizes.
 */
export async function runDemo(config: DemoConfig, options: DemoOptions, io: DemoIo): Promise<DemoSummary> {
  const { log, signal } = io;
  const env: NodeJS.ProcessEnv = { ...process.env };
  const names: PlatformNames = {
    topicPrefix: 'zenthos',
    rabbitPrefix: '',
    redisPrefix: 'zenthos:ota:',
    registryTopic: '_schemas',
    databaseUrl: config.DATABASE_URL,
    storageDir: resolve('.zenthos/artifacts'),
    keysDir: resolve(env.ZENTHOS_KEYS_DIR ?? '.zenthos/keys'),
    logLevel: 'info',
  };
  const logDir = resolve(config.DEMO_LOG_DIR);
  const startedAt = new Date();
  const dlqTopic = `${names.topicPrefix}.dlq`;
  const ids = deviceIdsFor('demo', options.model, options.devices);

  let platform: Platform | undefined;
  let tap: EnvelopeTap | undefined;
  let sim: Simulation | undefined;
  let simSummary: SimSummary | null = null;
  let rollout: RolloutView | undefined;
  let ota: OtaApiClient | undefined;
  let versions = { running: 'v0.1.0', release: 'v0.2.0' };
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'zenthos-demo' });
  let dlqBefore = 0;
  let failure: unknown;
  try {
    log(`logs: ${logDir}/<service>.log`);
    platform = await startPlatform(defaultPorts, names, {
      logDir,
      env,
      readyTimeoutMs: config.DEMO_READY_TIMEOUT_MS,
      progress: log,
      ...(signal ? { signal } : {}),
    });
    log('every service is ready');
    dlqBefore = await topicRecordCount(config.KAFKA_BROKERS, dlqTopic);
    tap = await openEnvelopeTap(config.AMQP_URL, names.rabbitPrefix);

    const token = await managementToken({ ...env, ZENTHOS_KEYS_DIR: names.keysDir, LOG_LEVEL: 'warn' });
    ota = createOtaApiClient(`http://127.0.0.1:${defaultPorts.ota}`, token);
    const client = ota;
    log(`registering ${ids.length} devices through the OTA API (POST /devices)`);
    const credentials = await mapLimited(ids, 10, (id) => client.registerDevice({ id, model: options.model, tags: ['demo'] }));

    // A rollout left open by an interrupted run would hold the new one back (one open per model).
    for (const open of [
      ...(await ota.listRollouts({ status: 'active', model: options.model })),
      ...(await ota.listRollouts({ status: 'paused', model: options.model })),
    ]) {
      await ota.actOnRollout(open.id, 'abort', 'superseded by a new demo run');
    }
    versions = demoVersions(await ota.releaseVersions('firmware', options.model), await ota.offeredVersion('firmware', options.model));
    const image = randomBytes(256 * 1024);
    await ota.publishRelease({ kind: 'firmware', model: options.model, version: versions.release, image, notes: 'Zenthos demo firmware' });
    // Created right after publishing and before any device checks: until the rollout completes,
    // only the devices of its current stage are offered the new release.
    const plan = planRollout(options.durationMs, options.stages);
    rollout = await ota.createRollout({ model: options.model, version: versions.release, stages: options.stages });
    log(`published signed ${options.model} firmware ${versions.release}; rollout ${rollout.id} at ${options.stages[0]}%`);

    // Fresh flash for every run: the fleet starts on the newest release already published.
    const stateDir = join(resolve(config.DEMO_STATE_DIR), 'sim');
    rmSync(stateDir, { recursive: true, force: true });
    const simConfig = loadSimConfig({
      ...env,
      SIM_MQTT_URL: `mqtt://127.0.0.1:${defaultPorts.mqtt}`,
      SIM_OTA_URL: `http://127.0.0.1:${defaultPorts.ota}`,
      SIM_STATE_DIR: stateDir,
      SIM_OTA_API_TOKEN: undefined,
    });
    if (signal?.aborted) throw new Error('interrupted before the devices started');
    sim = await startSimulation(
      simConfig,
      {
        devices: options.devices,
        ratePerDevice: options.ratePerDevice,
        durationMs: options.durationMs,
        ota: true,
        model: options.model,
        idPrefix: 'demo',
        firmwareVersion: versions.running,
        otaCheckIntervalMs: 5_000,
        register: 'none',
        rampUpMs: Math.min(5_000, options.devices * 20),
      },
      { credentials, progress: log },
    );
    const running = sim;
    signal?.addEventListener('abort', () => void running.stop(), { once: true });

    const t0 = Date.now();
    for (let i = 0; i < plan.advanceAtMs.length && !signal?.aborted; i++) {
      const at = plan.advanceAtMs[i] as number;
      // Complete early once every device of the last stage reported installed.
      while (!signal?.aborted && Date.now() - t0 < at) {
        await sleepUnless(1_000, signal);
        if (i === plan.advanceAtMs.length - 1) {
          const r = await ota.getRollout(rollout.id);
          const installed = Object.values(r.reports).reduce((n, s) => n + (s.installed ?? 0), 0);
          if (installed >= options.devices) break;
        }
      }
      if (signal?.aborted) break;
      rollout = await ota.actOnRollout(rollout.id, 'advance', 'demo schedule');
      log(
        rollout.status === 'completed'
          ? `rollout ${rollout.id} completed`
          : `rollout ${rollout.id} advanced to ${options.stages[rollout.current_stage]}%`,
      );
    }
    simSummary = await sim.done;
    // Give the pipeline a moment to write what the bridge acknowledged last.
    await waitForRows(pool, 'demo-', startedAt, simSummary.acknowledged, 15_000, signal);
    // …and the RabbitMQ bridge a moment to republish them.
    const rows = await telemetryCount(pool, 'demo-', startedAt);
    for (let i = 0; i < 20 && !signal?.aborted && (await tap.count()) < rows; i++) await sleepUnless(500, signal);
  } catch (err) {
    failure = err;
  }
  // Whether the run ended, failed or was interrupted: stop the devices, count what happened,
  // then stop the services, producers first.
  if (sim && !simSummary) simSummary = await sim.stop();
  const summary = platform ? await collectSummary() : undefined;
  await tap?.close();
  log('stopping the services');
  await platform?.stop();
  await pool.end();
  if (failure !== undefined && !signal?.aborted) throw failure;
  if (!summary) throw failure ?? new Error('no summary');
  return summary;

  async function collectSummary(): Promise<DemoSummary | undefined> {
    try {
      const rows = await telemetryCount(pool, 'demo-', startedAt);
      const { rows: updated } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM devices WHERE id = ANY($1) AND firmware_version = $2',
        [ids, versions.release],
      );
      if (rollout && ota) rollout = await ota.getRollout(rollout.id).catch(() => rollout);
      return {
        devices: options.devices,
        durationS: Math.round((Date.now() - startedAt.getTime()) / 1000),
        simulator: simSummary,
        telemetryRows: rows,
        sensorDataEnvelopes: tap ? await tap.count() : null,
        release: { from: versions.running, to: versions.release },
        devicesUpdated: Number(updated[0]?.n ?? 0),
        rollout: rollout ? { id: rollout.id, status: rollout.status, reports: rollout.reports } : null,
        deadLetters: Math.max(0, (await topicRecordCount(config.KAFKA_BROKERS, dlqTopic).catch(() => dlqBefore)) - dlqBefore),
        interrupted: signal?.aborted === true,
      };
    } catch (err) {
      log(`could not collect the summary: ${(err as Error).message}`);
      return undefined;
    }
  }
}

/** Rows of devices whose id starts with `idPrefix` written since `since`. */
export async function telemetryCount(pool: ReturnType<typeof createPool>, idPrefix: string, since: Date): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM telemetry_raw WHERE device_id LIKE $1 AND time >= $2`, [
    `${idPrefix.replace(/[\\%_]/g, '\\$&')}%`,
    new Date(since.getTime() - 5_000),
  ]);
  return Number(rows[0]?.n ?? 0);
}

/** Polls until `expected` rows arrived, the count stops growing for a few seconds, or time runs out. */
async function waitForRows(
  pool: ReturnType<typeof createPool>,
  idPrefix: string,
  since: Date,
  expected: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stableSince = Date.now();
  while (Date.now() < deadline && !signal?.aborted) {
    const n = await telemetryCount(pool, idPrefix, since);
    if (n >= expected) return;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 5_000) return;
    await sleepUnless(500, signal);
  }
}
