// Pacing of the load generator's devices (`--rate` of zenthos bench): pure schedule arithmetic,
// no timers and no I/O. The generator asks, on each tick of one shared interval timer and on
// each PUBACK, how many messages a device may release now.

/** Settings of {@link createPacer}. */
export interface PacerSettings {
  /** Aggregate messages per second over all devices (> 0). */
  readonly ratePerSecond: number;
  /** Number of devices sharing that rate (≥ 1). */
  readonly devices: number;
  /** Monotonic time (ms) of the schedule's start: device 0's first message is due then. */
  readonly startMs: number;
  /**
   * Most messages one device releases at once when it is behind its schedule (≥ 1). Slots
   * missed beyond this many are skipped, not made up: a device that was held back (window full,
   * a late timer) resumes its pace instead of bursting, which would measure the burst.
   */
  readonly maxBurst: number;
}

/** Per-device schedules of a paced run. */
export interface Pacer {
  /** Milliseconds between two messages of one device: devices × 1000 / rate. */
  readonly intervalMs: number;
  /**
   * How many messages `device` may release at `nowMs`, at most `room` (the free window and the
   * messages it has left); those are taken from its schedule. Messages due but beyond `room`
   * stay due (up to `maxBurst`) and are released when room opens.
   */
  take(device: number, nowMs: number, room: number): number;
  /** When `device`'s next message is due (monotonic ms). */
  nextDueMs(device: number): number;
  /** Schedule slots skipped so far because a device was more than `maxBurst` messages behind. */
  readonly skipped: number;
}

/**
 * Device `index`'s first due time: the devices' schedules are spread evenly over one interval,
 * so that together they publish one message every 1000 / rate ms instead of all at once.
 */
export const staggeredStartMs = (startMs: number, index: number, devices: number, intervalMs: number): number =>
  startMs + (index * intervalMs) / devices;

/**
 * How far behind its schedule a device may catch up by default, ms: a timer tick delayed by a
 * GC pause or by the two shared cores (late ticks of 10 ms and more were common in paced runs
 * against the stack's Mosquitto at 20,000 msg/s, which skipped 1.3% of the slots with a bound of
 * two messages and none with 20 ms) is made up, a device held back for longer skips the slots.
 */
export const DEFAULT_CATCH_UP_MS = 20;

/** The default catch-up bound: the messages of `catchUpMs` at the device's pace, at least 2. */
export const defaultMaxBurst = (intervalMs: number, catchUpMs: number = DEFAULT_CATCH_UP_MS): number =>
  Math.max(2, Math.ceil(catchUpMs / intervalMs));

/**
 * Paces `devices` devices at `ratePerSecond` in total: device i's k-th message is due at
 * `staggeredStartMs(start, i) + k × intervalMs`. One Float64Array of next due times, no
 * allocation per call.
 */
export function createPacer(settings: PacerSettings): Pacer {
  const { ratePerSecond, devices, startMs } = settings;
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`ratePerSecond must be > 0, got ${ratePerSecond}`);
  if (!Number.isInteger(devices) || devices < 1) throw new RangeError(`devices must be an integer ≥ 1, got ${devices}`);
  const maxBurst = Math.max(1, Math.floor(settings.maxBurst));
  const intervalMs = (devices * 1000) / ratePerSecond;
  const next = new Float64Array(devices);
  for (let i = 0; i < devices; i++) next[i] = staggeredStartMs(startMs, i, devices, intervalMs);
  let skipped = 0;
  return {
    intervalMs,
    take(device, nowMs, room) {
      let due = next[device] as number;
      if (nowMs < due) return 0;
      let count = Math.floor((nowMs - due) / intervalMs) + 1;
      if (count > maxBurst) {
        // Behind by more than the bound: forget the older slots, keep the last maxBurst.
        skipped += count - maxBurst;
        due += (count - maxBurst) * intervalMs;
        count = maxBurst;
      }
      const released = room < count ? Math.max(0, room) : count;
      next[device] = due + released * intervalMs;
      return released;
    },
    nextDueMs: (device) => next[device] as number,
    get skipped() {
      return skipped;
    },
  };
}
