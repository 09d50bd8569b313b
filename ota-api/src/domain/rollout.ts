import { createHash } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import { DEVICE_ID_PATTERN } from '@zenthos/devices';
import type { ReleaseKind } from './versions';

/** Which devices a rollout may reach at all. */
export type Cohort =
  | { readonly type: 'all' }
  | { readonly type: 'devices'; readonly deviceIds: readonly string[] }
  | { readonly type: 'tag'; readonly tag: string }
  | { readonly type: 'percentage'; readonly percent: number };

/** One step of a rollout: the share of the cohort reached, and when to stop by itself. */
export interface Stage {
  /** Share of the cohort, 0 < percent ≤ 100. */
  readonly percent: number;
  /** Pause when failed / reported outcomes of this stage exceed this fraction (0..1). */
  readonly failureThreshold: number;
  /** Outcomes needed before the threshold is judged (one early failure is not a trend). */
  readonly minDevices: number;
}

/** Lifecycle of a rollout. */
export type RolloutStatus = 'active' | 'paused' | 'aborted' | 'completed';

/** A rollout as the resolver needs it. */
export interface Rollout {
  readonly id: string;
  readonly kind: ReleaseKind;
  readonly deviceModel: string;
  readonly version: string;
  readonly cohort: Cohort;
  readonly stages: readonly Stage[];
  readonly currentStage: number;
  readonly status: RolloutStatus;
}

/** What a device is, for cohort membership. */
export interface DeviceFacts {
  readonly id: string;
  readonly model: string;
  readonly tags: readonly string[];
}

/** Device reports (spec §11): where an update stands on one device. */
export type OtaState = 'downloading' | 'installed' | 'failed' | 'rolled_back';
/** Every {@link OtaState}. */
export const OTA_STATES: readonly OtaState[] = ['downloading', 'installed', 'failed', 'rolled_back'];

/**
 * A stable bucket in [0, 10000) for a device within a salt. Hashing (not a random draw) keeps a
 * device in or out of a stage across requests, processes and restarts without storing anything,
 * and widening 10% → 50% keeps every device that was already in.
 */
export function bucketOf(salt: string, deviceId: string): number {
  const digest = createHash('sha256').update(`${salt}\0${deviceId}`).digest();
  return digest.readUInt32BE(0) % 10_000;
}

/** True when the device belongs to the rollout's cohort. */
export function inCohort(rollout: Pick<Rollout, 'id' | 'deviceModel' | 'cohort'>, device: DeviceFacts): boolean {
  if (device.model !== rollout.deviceModel) return false;
  const c = rollout.cohort;
  switch (c.type) {
    case 'all':
      return true;
    case 'devices':
      return c.deviceIds.includes(device.id);
    case 'tag':
      return device.tags.includes(c.tag);
    case 'percentage':
      return bucketOf(`cohort:${rollout.id}`, device.id) < Math.round(c.percent * 100);
  }
}

/**
 * True when the rollout's release is offered to the device now: the rollout is active or
 * paused (a pause stops widening; devices already reached keep their release), the device is
 * in the cohort, and inside the current stage's share.
 */
export function isTargeted(rollout: Rollout, device: DeviceFacts): boolean {
  if (rollout.status !== 'active' && rollout.status !== 'paused') return false;
  const stage = rollout.stages[rollout.currentStage];
  if (!stage || !inCohort(rollout, device)) return false;
  return bucketOf(`stage:${rollout.id}`, device.id) < Math.round(stage.percent * 100);
}

/** Outcomes reported by devices admitted in one stage. */
export interface StageOutcomes {
  readonly installed: number;
  readonly failed: number;
}

/** Whether a stage's reports call for an automatic pause, and why. */
export function judgeStage(stage: Stage, outcomes: StageOutcomes): { pause: boolean; failureRate: number } {
  const total = outcomes.installed + outcomes.failed;
  const failureRate = total === 0 ? 0 : outcomes.failed / total;
  return { pause: total >= stage.minDevices && failureRate > stage.failureThreshold, failureRate };
}

/** The operator actions on a rollout. */
export type RolloutAction = 'pause' | 'resume' | 'abort' | 'advance';

/** The state after `action`, or ZEN_CONFLICT when the action does not apply now. */
export function transition(
  rollout: Pick<Rollout, 'status' | 'currentStage' | 'stages'>,
  action: RolloutAction,
): { status: RolloutStatus; currentStage: number } {
  const { status, currentStage } = rollout;
  const refuse = (): never => {
    throw new ZenthosError('ZEN_CONFLICT', `cannot ${action} a rollout that is ${status}`);
  };
  switch (action) {
    case 'pause':
      return status === 'active' ? { status: 'paused', currentStage } : refuse();
    case 'resume':
      return status === 'paused' ? { status: 'active', currentStage } : refuse();
    case 'abort':
      return status === 'active' || status === 'paused' ? { status: 'aborted', currentStage } : refuse();
    case 'advance':
      if (status !== 'active') return refuse();
      return currentStage + 1 >= rollout.stages.length
        ? { status: 'completed', currentStage }
        : { status: 'active', currentStage: currentStage + 1 };
  }
}

const bad = (message: string): ZenthosError => new ZenthosError('ZEN_BAD_REQUEST', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPercent = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 100;

/** Validates a cohort from user input. */
export function parseCohort(value: unknown): Cohort {
  if (value === undefined) return { type: 'all' };
  if (!isObject(value)) throw bad('cohort must be an object');
  switch (value.type) {
    case 'all':
      return { type: 'all' };
    case 'devices': {
      const ids = value.deviceIds;
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > 100_000 ||
        !ids.every((id) => typeof id === 'string' && DEVICE_ID_PATTERN.test(id))
      ) {
        throw bad('cohort.deviceIds must be a non-empty list of device ids');
      }
      return { type: 'devices', deviceIds: [...new Set(ids as string[])] };
    }
    case 'tag':
      if (typeof value.tag !== 'string' || !DEVICE_ID_PATTERN.test(value.tag)) throw bad('cohort.tag must be a tag');
      return { type: 'tag', tag: value.tag };
    case 'percentage':
      if (!isPercent(value.percent)) throw bad('cohort.percent must be in (0, 100]');
      return { type: 'percentage', percent: value.percent };
    default:
      throw bad('cohort.type must be all, devices, tag or percentage');
  }
}

// A device's tags are cohort labels, not a data store: a bound keeps the row and every
// notifier read of the model's devices small.
const MAX_TAGS = 64;

/** Validates tags from user input: a list of ids (the rule registration applies), duplicates dropped. */
export function parseTags(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_TAGS || !value.every((t) => typeof t === 'string' && DEVICE_ID_PATTERN.test(t))) {
    throw bad(`tags must be a list of at most ${MAX_TAGS} tags matching ${DEVICE_ID_PATTERN.source}`);
  }
  return [...new Set(value as string[])];
}

/** The stages used when none are given: 1% → 10% → 50% → 100%, pausing above 10% failures. */
export const DEFAULT_STAGES: readonly Stage[] = [1, 10, 50, 100].map((percent) => ({ percent, failureThreshold: 0.1, minDevices: 1 }));

/** Validates stages from user input: increasing shares, thresholds in [0, 1]. */
export function parseStages(value: unknown): Stage[] {
  if (value === undefined) return [...DEFAULT_STAGES];
  if (!Array.isArray(value) || value.length === 0 || value.length > 20) throw bad('stages must be a list of 1 to 20 stages');
  const stages = value.map((s, i): Stage => {
    if (!isObject(s) || !isPercent(s.percent)) throw bad(`stages[${i}].percent must be in (0, 100]`);
    const failureThreshold = s.failureThreshold ?? 0.1;
    if (typeof failureThreshold !== 'number' || !(failureThreshold >= 0 && failureThreshold <= 1)) {
      throw bad(`stages[${i}].failureThreshold must be in [0, 1]`);
    }
    const minDevices = s.minDevices ?? 1;
    if (typeof minDevices !== 'number' || !Number.isInteger(minDevices) || minDevices < 1)
      throw bad(`stages[${i}].minDevices must be a positive integer`);
    return { percent: s.percent, failureThreshold, minDevices };
  });
  for (let i = 1; i < stages.length; i++) {
    if (stages[i]!.percent <= stages[i - 1]!.percent) throw bad('stage percentages must increase');
  }
  return stages;
}

/** Parses `1,10,50,100` (CLI shorthand) into stages with one threshold. */
export function stagesFromPercents(text: string, failureThreshold = 0.1, minDevices = 1): Stage[] {
  return parseStages(text.split(',').map((p) => ({ percent: Number(p.trim()), failureThreshold, minDevices })));
}

/** Where a rollout stands: target devices per state, and the share that installed it. */
export interface RolloutSummary {
  readonly targeted: number;
  readonly devices: Readonly<Record<OtaState | 'pending', number>>;
  /** installed / targeted, 0..1 (0 for an empty target). */
  readonly progress: number;
}

/**
 * Summarises a rollout over the devices of its model and their last reported state. Devices
 * the current stage targets but that have not reported are `pending`.
 */
export function summarizeRollout(rollout: Rollout, devices: readonly DeviceFacts[], states: ReadonlyMap<string, OtaState>): RolloutSummary {
  const counts: Record<OtaState | 'pending', number> = { pending: 0, downloading: 0, installed: 0, failed: 0, rolled_back: 0 };
  let targeted = 0;
  for (const d of devices) {
    const state = states.get(d.id);
    // A device that reported belongs to the rollout even if a later pause or abort took it out.
    if (!state && !isTargeted(rollout, d)) continue;
    targeted++;
    counts[state ?? 'pending']++;
  }
  return { targeted, devices: counts, progress: targeted === 0 ? 0 : counts.installed / targeted };
}
