// Judging a paced run (`zenthos bench --rate`): did the platform keep up with the offered rate?

/** Share of the offered rate a run must achieve to count as sustained. */
export const SUSTAINED_SHARE = 0.98;

/**
 * Largest backlog at the end of a sustained run, in seconds of the offered rate: the messages
 * published but not yet rows when the last PUBLISH left. At a sustained rate that is the rate ×
 * the mean latency; a backlog that grew over the run exceeds a second's worth (the p99
 * bound) long before the run ends.
 */
export const BACKLOG_LIMIT_S = 1;

/**
 * Messages per second of `count` events spread over `[firstMs, lastMs]`: (count − 1) gaps over
 * the span, so that `count` messages published exactly on a schedule of `r` per second give `r`.
 * 0 when fewer than two events or no time passed.
 */
export function spanRatePerSecond(count: number, firstMs: number, lastMs: number): number {
  const ms = lastMs - firstMs;
  return count > 1 && ms > 0 ? Math.round(((count - 1) * 1000 * 10) / ms) / 10 : 0;
}

/** What a paced run measured. */
export interface PacedRunInput {
  readonly offeredPerSecond: number;
  /** PUBLISHes written and the first and last of their times (epoch ms). */
  readonly published: number;
  readonly firstPublishMs: number;
  readonly lastPublishMs: number;
  /** Distinct rows of the run's messages and the first and last of their arrival times. */
  readonly rows: number;
  readonly firstRowMs: number;
  readonly lastRowMs: number;
  /** The run's messages that became rows after its last PUBLISH. */
  readonly rowsAfterLastPublish: number;
}

/** How a paced run went. */
export interface PacedFigures {
  readonly offeredPerSecond: number;
  /** PUBLISHes per second over the span of the publishes (what the generator could offer; a full window holds it back). */
  readonly publishedPerSecond: number;
  /**
   * Rows per second over the span of the rows (first row → last row): at a sustained rate the
   * rows come as spread out as the publishes; a growing backlog stretches their span.
   */
  readonly achievedPerSecond: number;
  /** Messages published but not yet rows when the last PUBLISH left. */
  readonly backlogAtEnd: number;
  /** Last PUBLISH → last row, ms. */
  readonly drainMs: number;
  /** achieved ≥ {@link SUSTAINED_SHARE} × offered and a backlog at the end of at most {@link BACKLOG_LIMIT_S} s of the offered rate. */
  readonly sustained: boolean;
  /** Why it was not sustained (empty when it was). */
  readonly shortfalls: readonly string[];
}

/** The figures of a paced run and whether the platform sustained the offered rate. */
export function judgePacedRun(input: PacedRunInput): PacedFigures {
  const publishedPerSecond = spanRatePerSecond(input.published, input.firstPublishMs, input.lastPublishMs);
  const achievedPerSecond = spanRatePerSecond(input.rows, input.firstRowMs, input.lastRowMs);
  const backlogLimit = Math.ceil(input.offeredPerSecond * BACKLOG_LIMIT_S);
  const shortfalls: string[] = [];
  if (input.rows === 0) shortfalls.push('no rows');
  else if (achievedPerSecond < SUSTAINED_SHARE * input.offeredPerSecond) {
    shortfalls.push(`achieved ${achievedPerSecond} msg/s < ${SUSTAINED_SHARE * 100}% of the offered ${input.offeredPerSecond}`);
  }
  if (input.rowsAfterLastPublish > backlogLimit) {
    shortfalls.push(`backlog at the end ${input.rowsAfterLastPublish} > ${backlogLimit} (${BACKLOG_LIMIT_S} s of the offered rate)`);
  }
  return {
    offeredPerSecond: input.offeredPerSecond,
    publishedPerSecond,
    achievedPerSecond,
    backlogAtEnd: input.rowsAfterLastPublish,
    drainMs: input.rows > 0 ? Math.max(0, Math.round(input.lastRowMs - input.lastPublishMs)) : 0,
    sustained: shortfalls.length === 0,
    shortfalls,
  };
}

/** One rate of a sweep, as far as the summary needs it. */
export interface SweepPoint {
  readonly offeredPerSecond: number;
  readonly sustained: boolean;
  readonly p99Ms: number | null;
  readonly lost: number;
  readonly duplicated: number;
}

/**
 * The highest offered rate the platform held: sustained, p99 publish → row under `p99LimitMs`,
 * nothing lost or duplicated; null when none did.
 */
export function highestHeldRate(points: readonly SweepPoint[], p99LimitMs = 1_000): number | null {
  let best: number | null = null;
  for (const p of points) {
    const held = p.sustained && p.p99Ms !== null && p.p99Ms < p99LimitMs && p.lost === 0 && p.duplicated === 0;
    if (held && (best === null || p.offeredPerSecond > best)) best = p.offeredPerSecond;
  }
  return best;
}
