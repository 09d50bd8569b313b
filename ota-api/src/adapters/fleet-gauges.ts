import type { Meter } from '@opentelemetry/api';
import type { Pool } from '@zenthos/db';
import { metricNames, metricOptions } from '@zenthos/telemetry';
import {
  summarizeRollout,
  type Cohort,
  type DeviceFacts,
  type OtaState,
  type Rollout,
  type RolloutStatus,
  type Stage,
} from '../domain/rollout';
import type { ReleaseKind } from '../domain/versions';

interface Snapshot {
  readonly rollouts: { readonly rollout: Rollout; readonly summary: ReturnType<typeof summarizeRollout> }[];
  readonly firmware: { readonly device_model: string; readonly firmware_version: string; readonly n: number }[];
}

/**
 * Registers the fleet gauges the OTA dashboard reads: `zenthos.ota.rollout_progress`,
 * `zenthos.ota.rollout_devices{state}` (open rollouts) and `zenthos.fleet.devices_by_firmware`.
 * They are computed from Postgres at collection time, at most every `minIntervalMs`, so several
 * scrapes in a row cost one set of queries.
 */
export function registerFleetGauges(meter: Meter, pool: Pool, onError: (err: unknown) => void, minIntervalMs = 10_000): void {
  let cached: { at: number; value: Promise<Snapshot> } | undefined;
  const load = async (): Promise<Snapshot> => {
    const open = await pool.query<{
      id: string;
      kind: ReleaseKind;
      device_model: string;
      version: string;
      cohort: Cohort;
      stages: Stage[];
      current_stage: number;
      status: RolloutStatus;
    }>(`SELECT id, kind, device_model, version, cohort, stages, current_stage, status FROM rollouts WHERE status IN ('active', 'paused')`);
    const rollouts: Snapshot['rollouts'] = [];
    for (const r of open.rows) {
      const rollout: Rollout = {
        id: r.id,
        kind: r.kind,
        deviceModel: r.device_model,
        version: r.version,
        cohort: r.cohort,
        stages: r.stages,
        currentStage: r.current_stage,
        status: r.status,
      };
      const devices = await pool.query<DeviceFacts>('SELECT id, model, tags FROM devices WHERE model = $1 AND revoked_at IS NULL', [
        r.device_model,
      ]);
      const reported = await pool.query<{ device_id: string; state: OtaState }>(
        'SELECT device_id, state FROM rollout_devices WHERE rollout_id = $1',
        [r.id],
      );
      const states = new Map(reported.rows.map((x) => [x.device_id, x.state]));
      rollouts.push({ rollout, summary: summarizeRollout(rollout, devices.rows, states) });
    }
    const firmware = await pool.query<{ device_model: string; firmware_version: string; n: string }>(
      `SELECT model AS device_model, coalesce(firmware_version, 'unknown') AS firmware_version, count(*) AS n FROM devices WHERE revoked_at IS NULL GROUP BY 1, 2`,
    );
    return { rollouts, firmware: firmware.rows.map((f) => ({ ...f, n: Number(f.n) })) };
  };
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cached.at >= minIntervalMs) {
      cached = { at: Date.now(), value: load() };
      cached.value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
  const gauge = (key: 'rolloutProgress' | 'rolloutDevices' | 'devicesByFirmware') =>
    meter.createObservableGauge(metricNames[key], { unit: metricOptions[key].unit, description: metricOptions[key].description });

  const progress = gauge('rolloutProgress');
  const perState = gauge('rolloutDevices');
  const byFirmware = gauge('devicesByFirmware');
  meter.addBatchObservableCallback(
    async (result) => {
      try {
        const s = await snapshot();
        for (const { rollout, summary } of s.rollouts) {
          const labels = { rollout_id: rollout.id, device_model: rollout.deviceModel, version: rollout.version };
          result.observe(progress, summary.progress, labels);
          for (const [state, n] of Object.entries(summary.devices)) result.observe(perState, n, { ...labels, state });
        }
        for (const f of s.firmware) result.observe(byFirmware, f.n, { device_model: f.device_model, firmware_version: f.firmware_version });
      } catch (err) {
        onError(err);
      }
    },
    [progress, perState, byFirmware],
  );
}
