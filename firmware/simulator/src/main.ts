import { resolve } from 'node:path';
import { ZenthosError } from '@zenthos/core';
import type { OtaReport } from '@zenthos/firmware-common';
import type { SimConfig } from './config';
import { deviceIdsFor, type SimOptions } from './domain/options';
import {
  addCounters,
  formatProgress,
  ratePerSecond,
  summarize,
  zeroCounters,
  type ProgressSample,
  type SimSummary,
} from './domain/progress';
import { createOtaApiClient, pemToBase64Der, type DeviceCredentials } from './adapters/ota-api-client';
import { createRegistrar, mapLimited } from './adapters/registration';
import { createSimDevice, type SimDevice } from './adapters/sim-device';

/** What a caller may give a simulation besides its settings. */
export interface SimulationDeps {
  /** Where the progress line goes (every second); default: nowhere. */
  readonly progress?: (line: string) => void;
  /** Credentials obtained elsewhere (the demo registers through the OTA API itself). */
  readonly credentials?: readonly DeviceCredentials[];
  /** Environment for the device registry (`--register db`); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | Record<string, string | undefined>;
  /** Per-device diagnostic lines of the firmware. */
  readonly deviceLog?: (line: string) => void;
  /** Called every second with the sample the progress line shows. */
  readonly onSample?: (sample: ProgressSample) => void;
}

/** A running simulation. */
export interface Simulation {
  readonly devices: readonly SimDevice[];
  /** The current fleet-wide sample. */
  sample(): ProgressSample;
  /** Resolves with the summary when the run ended (after its duration or {@link Simulation.stop}). */
  readonly done: Promise<SimSummary>;
  /** Ends the run now (drains what devices queued, up to a few seconds). */
  stop(): Promise<SimSummary>;
}

const DRAIN_MS = 5_000;

/**
 * Starts N simulated devices (firmware/common over the host adapters), after registering them
 * when needed. Devices start over the ramp-up time; the run ends by itself after its duration.
 */
export async function startSimulation(config: SimConfig, options: SimOptions, deps: SimulationDeps = {}): Promise<Simulation> {
  const ids = deviceIdsFor(options.idPrefix, options.model, options.devices);
  const ota = createOtaApiClient(config.SIM_OTA_URL, config.SIM_OTA_API_TOKEN);
  let credentials = deps.credentials;
  if (!credentials) {
    const register = createRegistrar(options.register, {
      env: deps.env ?? process.env,
      ota,
      concurrency: config.SIM_CONCURRENCY,
    });
    credentials = await register(ids, options.model, (n) => {
      if (n % 100 === 0 || n === ids.length) deps.progress?.(`registered ${n}/${ids.length} devices`);
    });
  }
  const tokenOf = new Map(credentials.map((c) => [c.deviceId, c.token]));

  // Real firmware carries the release-signing keys in its image; the simulated one is "built"
  // with the keys the OTA API publishes at start.
  let trustedKeys: Record<string, string> = {};
  if (options.ota) {
    try {
      const keys = await ota.listKeys();
      trustedKeys = Object.fromEntries(keys.filter((k) => !k.revoked_at).map((k) => [k.key_id, pemToBase64Der(k.public_key_pem)]));
    } catch (err) {
      throw new ZenthosError(
        'ZEN_DEPENDENCY_UNAVAILABLE',
        `--ota needs the OTA API at ${config.SIM_OTA_URL}: ${(err as Error).message}`,
        true,
        {
          cause: err,
        },
      );
    }
  }

  const stateDir = resolve(config.SIM_STATE_DIR);
  const devices = ids.map((id) =>
    createSimDevice({
      deviceId: id,
      token: tokenOf.get(id) ?? '',
      model: options.model,
      initialFirmwareVersion: options.firmwareVersion,
      mqttUrl: config.SIM_MQTT_URL,
      otaUrl: config.SIM_OTA_URL,
      stateDir,
      telemetryIntervalMs: Math.max(1, Math.round(1000 / options.ratePerDevice)),
      otaCheckIntervalMs: options.ota ? options.otaCheckIntervalMs : 0,
      trustedKeys,
      // The firmware reports over MQTT (status messages); rollouts count reports of the OTA API's
      // device route, so the simulated device also posts each report there with its own token.
      ...(options.ota ? { onOtaReport: (deviceId: string, r: OtaReport) => postReport(deviceId, r) } : {}),
      ...(deps.deviceLog ? { log: deps.deviceLog } : {}),
    }),
  );

  async function postReport(deviceId: string, r: OtaReport): Promise<void> {
    await ota.reportOta(deviceId, tokenOf.get(deviceId) ?? '', {
      kind: r.kind,
      version: r.version,
      state: r.state,
      ...(r.reason ? { detail: r.reason } : {}),
    });
  }

  const startedMs = Date.now();
  const sample = (): ProgressSample => {
    const counters = zeroCounters();
    const versions: Record<string, number> = {};
    let connected = 0;
    for (const d of devices) {
      addCounters(counters, d.counters());
      if (d.connected) connected++;
      versions[d.firmwareVersion] = (versions[d.firmwareVersion] ?? 0) + 1;
    }
    return { elapsedMs: Date.now() - startedMs, counters, connected, devices: devices.length, versions };
  };

  let previous: ProgressSample | undefined;
  const ticker = setInterval(() => {
    const s = sample();
    deps.onSample?.(s);
    deps.progress?.(formatProgress(s, ratePerSecond(previous, s), options.durationMs));
    previous = s;
  }, 1_000);

  let stopping: Promise<SimSummary> | undefined;
  let ended: (summary: SimSummary) => void = () => undefined;
  const done = new Promise<SimSummary>((resolve) => (ended = resolve));
  let startsCancelled = false;

  const stop = (): Promise<SimSummary> => {
    stopping ??= (async () => {
      startsCancelled = true;
      clearTimeout(timer);
      clearInterval(ticker);
      await starting.catch(() => undefined);
      const drained = await mapLimited(devices, devices.length, (d) => d.stop(DRAIN_MS));
      const summary = summarize(sample(), drained.every(Boolean));
      ended(summary);
      return summary;
    })();
    return stopping;
  };
  const timer = setTimeout(() => void stop(), options.durationMs);

  // Spread the connections over the ramp-up so the broker sees a fleet waking up, not a burst.
  const gapMs = devices.length > 1 ? options.rampUpMs / devices.length : 0;
  const starting = mapLimited(devices, config.SIM_CONCURRENCY, async (d, i) => {
    const waitMs = startedMs + i * gapMs - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    if (!startsCancelled) await d.start();
  });
  starting.catch((err: unknown) => deps.progress?.(`a device failed to start: ${(err as Error).message}`));

  return { devices, sample, done, stop };
}
