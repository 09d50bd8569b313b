import { randomUUID } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import { withTransaction, type Pool, type PoolClient } from '@zenthos/db';
import type { DeviceRecord } from '@zenthos/devices';
import {
  judgeStage,
  isTargeted,
  parseCohort,
  parseStages,
  transition,
  OTA_STATES,
  type Cohort,
  type OtaState,
  type Rollout,
  type RolloutAction,
  type RolloutStatus,
  type Stage,
} from '../domain/rollout';
import type { NotificationReason } from '../domain/notifications';
import { parseKind, requireValidVersion, type ReleaseKind } from '../domain/versions';
import type { OtaCache } from './cache';
import { requireValidModel } from './releases';
import { createNoNotifier, type ChangeNotifier } from './notifier';

/** A rollout as the API shows it, with per-stage counts. */
export interface RolloutView {
  readonly id: string;
  readonly kind: ReleaseKind;
  readonly device_model: string;
  readonly version: string;
  readonly cohort: Cohort;
  readonly stages: readonly Stage[];
  readonly current_stage: number;
  readonly status: RolloutStatus;
  readonly status_reason: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  /** Reports per stage and state, e.g. `{ "0": { "installed": 3, "failed": 1 } }`. */
  readonly reports: Record<string, Partial<Record<OtaState, number>>>;
}

/** A device's report (spec §11 states). */
export interface OtaReport {
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly state: OtaState;
  readonly detail?: string | undefined;
}

/** What handling a report did. */
export interface ReportOutcome {
  readonly rollout_id: string | null;
  readonly rollout_status: RolloutStatus | null;
  /** True when this report pushed its stage over the failure threshold. */
  readonly paused: boolean;
}

/** Staged rollouts and device reports. */
export interface RolloutService {
  create(input: { kind: unknown; device_model: unknown; version: unknown; cohort?: unknown; stages?: unknown }): Promise<RolloutView>;
  get(id: string): Promise<RolloutView>;
  list(filter?: { status?: string | undefined; deviceModel?: string | undefined }): Promise<RolloutView[]>;
  act(id: string, action: RolloutAction, reason?: string): Promise<RolloutView>;
  /**
   * Records a device report (Postgres, and the last one per device in the cache); pauses the
   * rollout when its stage crosses the threshold. The one path for HTTP and MQTT reports.
   */
  report(device: DeviceRecord, report: OtaReport): Promise<ReportOutcome>;
  /** The rollouts a device takes part in, with its state in each. */
  deviceRollouts(
    deviceId: string,
  ): Promise<
    { rollout_id: string; kind: ReleaseKind; version: string; status: RolloutStatus; stage: number; state: OtaState; updated_at: string }[]
  >;
}

interface RolloutRow {
  id: string;
  kind: ReleaseKind;
  device_model: string;
  version: string;
  cohort: Cohort;
  stages: Stage[];
  current_stage: number;
  status: RolloutStatus;
  status_reason: string | null;
  created_at: Date;
  updated_at: Date;
}

const reasonOf = (action: RolloutAction, status: RolloutStatus): NotificationReason => {
  switch (action) {
    case 'advance':
      return status === 'completed' ? 'rollout_completed' : 'rollout_advanced';
    case 'abort':
      return 'rollout_aborted';
    case 'pause':
      return 'rollout_paused';
    case 'resume':
      return 'rollout_resumed';
  }
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const toRollout = (r: RolloutRow): Rollout => ({
  id: r.id,
  kind: r.kind,
  deviceModel: r.device_model,
  version: r.version,
  cohort: r.cohort,
  stages: r.stages,
  currentStage: r.current_stage,
  status: r.status,
});

/**
 * Rollouts over Postgres; every change invalidates the model's cached `latest`, and the
 * notifier tells the devices whose offer it moved (a new or advanced stage, a completion, an abort).
 */
export function createRolloutService(pool: Pool, cache: OtaCache, notifier: ChangeNotifier = createNoNotifier()): RolloutService {
  const view = async (r: RolloutRow): Promise<RolloutView> => {
    const { rows } = await pool.query<{ stage: number; state: OtaState; n: string }>(
      'SELECT stage, state, count(*) AS n FROM rollout_devices WHERE rollout_id = $1 GROUP BY stage, state',
      [r.id],
    );
    const reports: Record<string, Partial<Record<OtaState, number>>> = {};
    for (const row of rows) (reports[String(row.stage)] ??= {})[row.state] = Number(row.n);
    return {
      id: r.id,
      kind: r.kind,
      device_model: r.device_model,
      version: r.version,
      cohort: r.cohort,
      stages: r.stages,
      current_stage: r.current_stage,
      status: r.status,
      status_reason: r.status_reason,
      created_at: r.created_at.toISOString(),
      updated_at: r.updated_at.toISOString(),
      reports,
    };
  };

  const lockRow = async (client: PoolClient, id: string, forUpdate = true): Promise<RolloutRow> => {
    if (!UUID.test(id)) throw new ZenthosError('ZEN_NOT_FOUND', `no rollout ${id}`);
    const { rows } = await client.query<RolloutRow>(`SELECT * FROM rollouts WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    if (!rows[0]) throw new ZenthosError('ZEN_NOT_FOUND', `no rollout ${id}`);
    return rows[0];
  };

  const service: RolloutService = {
    async create(input) {
      const kind = parseKind(input.kind);
      const deviceModel = String(input.device_model ?? '');
      const version = String(input.version ?? '');
      requireValidModel(deviceModel);
      requireValidVersion(kind, version);
      const cohort = parseCohort(input.cohort);
      const stages = parseStages(input.stages);
      const table = kind === 'firmware' ? 'firmware_releases' : 'model_releases';
      const id = randomUUID();
      await withTransaction(pool, async (client) => {
        const pending = await notifier.prepare(client, kind, deviceModel);
        const rel = await client.query<{ yanked_at: Date | null; key_revoked_at: Date | null }>(
          `SELECT r.yanked_at, k.revoked_at AS key_revoked_at FROM ${table} r LEFT JOIN signing_keys k ON k.key_id = r.key_id
            WHERE r.device_model = $1 AND r.version = $2`,
          [deviceModel, version],
        );
        if (!rel.rows[0]) throw new ZenthosError('ZEN_NOT_FOUND', `no ${kind} ${deviceModel} ${version}`);
        if (rel.rows[0].yanked_at) throw new ZenthosError('ZEN_OTA_RELEASE_YANKED', `${kind} ${deviceModel} ${version} was yanked`);
        // Devices refuse it, and `latest` never offers it: such a rollout could reach nobody.
        if (rel.rows[0].key_revoked_at)
          throw new ZenthosError('ZEN_OTA_KEY_REVOKED', `${kind} ${deviceModel} ${version} is signed by a revoked key`);
        try {
          await client.query(
            `INSERT INTO rollouts (id, kind, device_model, version, cohort, stages, current_stage, status) VALUES ($1, $2, $3, $4, $5, $6, 0, 'active')`,
            [id, kind, deviceModel, version, JSON.stringify(cohort), JSON.stringify(stages)],
          );
        } catch (err) {
          if ((err as { code?: string }).code === '23505') {
            throw new ZenthosError('ZEN_CONFLICT', `${kind} ${deviceModel} already has an open rollout; finish, pause or abort it first`);
          }
          throw err;
        }
        await pending.send('rollout_created');
      });
      await cache.invalidateLatest(kind, deviceModel);
      return service.get(id);
    },

    async get(id) {
      if (!UUID.test(id)) throw new ZenthosError('ZEN_NOT_FOUND', `no rollout ${id}`);
      const { rows } = await pool.query<RolloutRow>('SELECT * FROM rollouts WHERE id = $1', [id]);
      if (!rows[0]) throw new ZenthosError('ZEN_NOT_FOUND', `no rollout ${id}`);
      return view(rows[0]);
    },

    async list(filter = {}) {
      const { rows } = await pool.query<RolloutRow>(
        `SELECT * FROM rollouts WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR device_model = $2) ORDER BY created_at DESC LIMIT 500`,
        [filter.status ?? null, filter.deviceModel ?? null],
      );
      return Promise.all(rows.map(view));
    },

    async act(id, action, reason) {
      const row = await withTransaction(pool, async (client) => {
        // The model's notification lock first, the rollout's row lock second: the order every
        // change of a model takes, so two of them cannot wait on each other.
        const target = await lockRow(client, id, false);
        const pending = await notifier.prepare(client, target.kind, target.device_model);
        const current = await lockRow(client, id);
        const next = transition(toRollout(current), action);
        const { rows } = await client.query<RolloutRow>(
          'UPDATE rollouts SET status = $2, current_stage = $3, status_reason = $4, updated_at = now() WHERE id = $1 RETURNING *',
          [id, next.status, next.currentStage, reason ?? `${action} by operator`],
        );
        await pending.send(reasonOf(action, next.status));
        return rows[0] as RolloutRow;
      });
      await cache.invalidateLatest(row.kind, row.device_model);
      return view(row);
    },

    async report(device, report) {
      if (!OTA_STATES.includes(report.state)) throw new ZenthosError('ZEN_BAD_REQUEST', `state must be one of ${OTA_STATES.join(', ')}`);
      requireValidVersion(report.kind, report.version);
      const detail = typeof report.detail === 'string' ? report.detail.slice(0, 2000) : null;
      const outcome = await withTransaction(pool, async (client): Promise<ReportOutcome & { model?: string }> => {
        if (report.state === 'installed') {
          const column = report.kind === 'firmware' ? 'firmware_version' : 'model_version';
          await client.query(`UPDATE devices SET ${column} = $2, last_seen = now() WHERE id = $1`, [device.id, report.version]);
        } else {
          await client.query('UPDATE devices SET last_seen = now() WHERE id = $1', [device.id]);
        }
        const { rows } = await client.query<RolloutRow>(
          `SELECT * FROM rollouts WHERE kind = $1 AND device_model = $2 AND version = $3 AND status IN ('active', 'paused') FOR UPDATE`,
          [report.kind, device.model, report.version],
        );
        const rollout = rows[0];
        if (!rollout) return { rollout_id: null, rollout_status: null, paused: false };
        const facts = { id: device.id, model: device.model, tags: device.tags };
        // A report from a device the rollout does not target (it fetched the version by name)
        // must not move the stage's failure rate.
        if (!isTargeted(toRollout(rollout), facts)) return { rollout_id: rollout.id, rollout_status: rollout.status, paused: false };
        // The stage a device was admitted in stays its stage, so a later stage's rate counts only
        // the devices it added.
        await client.query(
          `INSERT INTO rollout_devices (rollout_id, device_id, stage, state, detail) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (rollout_id, device_id) DO UPDATE SET state = EXCLUDED.state, detail = EXCLUDED.detail, updated_at = now()`,
          [rollout.id, device.id, rollout.current_stage, report.state, detail],
        );
        if (rollout.status !== 'active') return { rollout_id: rollout.id, rollout_status: rollout.status, paused: false };
        const counts = await client.query<{ installed: string; failed: string }>(
          `SELECT count(*) FILTER (WHERE state = 'installed') AS installed,
                  count(*) FILTER (WHERE state IN ('failed', 'rolled_back')) AS failed
             FROM rollout_devices WHERE rollout_id = $1 AND stage = $2`,
          [rollout.id, rollout.current_stage],
        );
        const stage = rollout.stages[rollout.current_stage] as Stage;
        const verdict = judgeStage(stage, { installed: Number(counts.rows[0]?.installed), failed: Number(counts.rows[0]?.failed) });
        if (!verdict.pause) return { rollout_id: rollout.id, rollout_status: rollout.status, paused: false };
        const reason = `stage ${rollout.current_stage} failure rate ${(verdict.failureRate * 100).toFixed(1)}% exceeds ${(stage.failureThreshold * 100).toFixed(1)}%`;
        await client.query(`UPDATE rollouts SET status = 'paused', status_reason = $2, updated_at = now() WHERE id = $1`, [
          rollout.id,
          reason,
        ]);
        return { rollout_id: rollout.id, rollout_status: 'paused', paused: true, model: rollout.device_model };
      });
      if (outcome.paused && outcome.model) await cache.invalidateLatest(report.kind, outcome.model);
      // Spec §11: the device's last OTA state also lives in Redis, with a TTL and a counter of
      // failed attempts at the same version (reset by any other outcome or version).
      const previous = await cache.getDeviceState(device.id);
      const failedBefore =
        previous && previous.kind === report.kind && previous.version === report.version ? (previous.failed_attempts ?? 0) : 0;
      const failed = report.state === 'failed' || report.state === 'rolled_back';
      await cache.setDeviceState(device.id, {
        failed_attempts: failed ? failedBefore + 1 : report.state === 'downloading' ? failedBefore : 0,
        kind: report.kind,
        version: report.version,
        state: report.state,
        rollout_id: outcome.rollout_id,
        reported_at: new Date().toISOString(),
      });
      return { rollout_id: outcome.rollout_id, rollout_status: outcome.rollout_status, paused: outcome.paused };
    },

    async deviceRollouts(deviceId) {
      const { rows } = await pool.query<{
        rollout_id: string;
        kind: ReleaseKind;
        version: string;
        status: RolloutStatus;
        stage: number;
        state: OtaState;
        updated_at: Date;
      }>(
        `SELECT o.id AS rollout_id, o.kind, o.version, o.status, d.stage, d.state, d.updated_at
           FROM rollout_devices d JOIN rollouts o ON o.id = d.rollout_id WHERE d.device_id = $1 ORDER BY d.updated_at DESC LIMIT 50`,
        [deviceId],
      );
      return rows.map((r) => ({ ...r, updated_at: r.updated_at.toISOString() }));
    },
  };
  return service;
}
