import { compareVersions } from '@zenthos/firmware-common';

/** When the demo advances its rollout, in milliseconds after the devices started. */
export interface RolloutPlan {
  /** Stage shares, e.g. `[10, 50, 100]`. */
  readonly stages: readonly number[];
  /** `advanceAtMs[i]`: when stage i + 1 opens; the last entry completes the rollout. */
  readonly advanceAtMs: readonly number[];
}

/**
 * Spreads the stages over the first 80% of the run, leaving the rest for the last devices to
 * install, report and the pipeline to drain: with 60 s and 10% → 50% → 100%, stage 2 opens at
 * 16 s, stage 3 at 32 s, and the rollout completes at 48 s (or as soon as every device reported).
 */
export function planRollout(durationMs: number, stages: readonly number[]): RolloutPlan {
  const steps = stages.length;
  const slotMs = (durationMs * 0.8) / steps;
  return { stages, advanceAtMs: Array.from({ length: steps }, (_, i) => Math.round(slotMs * (i + 1))) };
}

/** Parses `10,50,100`: increasing shares in (0, 100] ending at 100. */
export function parseStagePercents(text: string): number[] | undefined {
  const stages = text.split(',').map((s) => Number(s.trim()));
  if (stages.length === 0 || stages.length > 10) return undefined;
  if (!stages.every((p, i) => Number.isFinite(p) && p > 0 && p <= 100 && (i === 0 || p > (stages[i - 1] as number)))) return undefined;
  return stages[stages.length - 1] === 100 ? stages : undefined;
}

/**
 * The firmware the demo devices start with and the one it releases. They start with what the OTA
 * API offers every device now (`latest` without a rollout; an aborted or yanked release is not
 * offered, and starting above the offered version would make every device refuse it as older),
 * and the release is the next patch after the newest version ever published (a version is never
 * published twice). A fresh database: v0.1.0 → v0.2.0.
 */
export function demoVersions(published: readonly string[], offered: string | undefined): { running: string; release: string } {
  const valid = published.filter((v) => compareVersions('firmware', v, v) === 0);
  if (valid.length === 0) return { running: offered ?? 'v0.1.0', release: 'v0.2.0' };
  const newest = valid.reduce((a, b) => ((compareVersions('firmware', a, b) ?? 0) >= 0 ? a : b));
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(newest) as RegExpExecArray;
  return { running: offered ?? 'v0.1.0', release: `v${m[1]}.${m[2]}.${Number(m[3]) + 1}` };
}
