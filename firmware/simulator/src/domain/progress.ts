/** The counters the progress line and the summary add up over the fleet. */
export interface FleetCounters {
  sent: number;
  acknowledged: number;
  errors: number;
  buffered: number;
  dropped: number;
  inFlight: number;
  otaInstalled: number;
  otaFailed: number;
  otaRolledBack: number;
}

/** An all-zero {@link FleetCounters}. */
export const zeroCounters = (): FleetCounters => ({
  sent: 0,
  acknowledged: 0,
  errors: 0,
  buffered: 0,
  dropped: 0,
  inFlight: 0,
  otaInstalled: 0,
  otaFailed: 0,
  otaRolledBack: 0,
});

/**
 * Adds counters. Gauges (`buffered`, `inFlight`) add too: across devices the sum is the fleet's
 * current value.
 */
export function addCounters(into: FleetCounters, c: Readonly<Partial<FleetCounters>>): FleetCounters {
  for (const key of Object.keys(into) as (keyof FleetCounters)[]) into[key] += c[key] ?? 0;
  return into;
}

/** One progress sample. */
export interface ProgressSample {
  readonly elapsedMs: number;
  readonly counters: Readonly<FleetCounters>;
  readonly connected: number;
  readonly devices: number;
  /** Devices running each firmware version. */
  readonly versions: Readonly<Record<string, number>>;
}

/** Acknowledged messages per second between two samples (0 when no time passed). */
export function ratePerSecond(previous: ProgressSample | undefined, current: ProgressSample): number {
  if (!previous) return current.elapsedMs > 0 ? (current.counters.acknowledged * 1000) / current.elapsedMs : 0;
  const dt = current.elapsedMs - previous.elapsedMs;
  return dt > 0 ? ((current.counters.acknowledged - previous.counters.acknowledged) * 1000) / dt : 0;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * The line printed to stderr every second, e.g.
 * `[  12s/60s] devices 100/100 sent 1,200 acked 1,190 rate 99.8/s errors 0 buffered 10 ota 3 ok`.
 */
export function formatProgress(sample: ProgressSample, rate: number, durationMs: number): string {
  const c = sample.counters;
  const secs = `${Math.floor(sample.elapsedMs / 1000)}s`.padStart(5);
  const parts = [
    `[${secs}/${Math.round(durationMs / 1000)}s]`,
    `devices ${sample.connected}/${sample.devices}`,
    `sent ${int(c.sent)}`,
    `acked ${int(c.acknowledged)}`,
    `rate ${rate.toFixed(1)}/s`,
    `errors ${int(c.errors)}`,
    `buffered ${int(c.buffered)}`,
  ];
  if (c.dropped > 0) parts.push(`dropped ${int(c.dropped)}`);
  if (c.otaInstalled + c.otaFailed + c.otaRolledBack > 0) {
    parts.push(`ota ${c.otaInstalled} ok ${c.otaFailed} failed ${c.otaRolledBack} rolled back`);
  }
  const versions = Object.entries(sample.versions);
  if (versions.length > 1) parts.push(versions.map(([v, n]) => `${v}×${n}`).join(' '));
  return parts.join('  ');
}

/** The JSON summary printed on stdout at the end of a run. */
export interface SimSummary {
  readonly devices: number;
  readonly durationS: number;
  readonly sent: number;
  readonly acknowledged: number;
  readonly errors: number;
  readonly buffered: number;
  readonly dropped: number;
  readonly ratePerSecond: number;
  readonly ota: { readonly installed: number; readonly failed: number; readonly rolledBack: number };
  readonly firmwareVersions: Readonly<Record<string, number>>;
  /** Whether every queued message was acknowledged before the devices stopped. */
  readonly drained: boolean;
}

/** Builds the final summary from the last sample. */
export function summarize(last: ProgressSample, drained: boolean): SimSummary {
  const c = last.counters;
  return {
    devices: last.devices,
    durationS: Math.round(last.elapsedMs / 100) / 10,
    sent: c.sent,
    acknowledged: c.acknowledged,
    errors: c.errors,
    buffered: c.buffered,
    dropped: c.dropped,
    ratePerSecond: Math.round(ratePerSecond(undefined, last) * 10) / 10,
    ota: { installed: c.otaInstalled, failed: c.otaFailed, rolledBack: c.otaRolledBack },
    firmwareVersions: { ...last.versions },
    drained,
  };
}
