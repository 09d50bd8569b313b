import { ZenthosError, commonEnv } from '@zenthos/core';

/** Log levels the services accept (their `LOG_LEVEL`), from the shared configuration schema. */
export const LOG_LEVELS = commonEnv.LOG_LEVEL.unwrap().options;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The services' log level in a run unless `--log-level` says otherwise: at `info` every service
 * logs per connection and per batch, CPU the run would count as the platform's.
 */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/** Options of the end-to-end benchmark. */
export interface BenchOptions {
  /** Simulated devices, one MQTT connection each. */
  readonly devices: number;
  /** Messages each device publishes. */
  readonly messages: number;
  /** QoS 1 PUBLISHes a device may have awaiting their PUBACK (MQTT receive maximum). */
  readonly inFlight: number;
  /**
   * Messages published before the measured runs in all (`--warm-up`), unpaced and not counted:
   * the services are fresh processes whose hot paths are not optimised yet. Each device sends
   * at least one (schema registration, group joins); see {@link warmUpPerDevice}.
   */
  readonly warmUp: number;
  /** Run the raw baselines (Mosquitto, Kafka producer, COPY) in the same run. */
  readonly baselines: boolean;
  /** How long to wait for the last rows after the last PUBACK. */
  readonly drainTimeoutMs: number;
  /** Paced: aggregate messages per second over all devices (`--rate`); absent: unpaced, as fast as the window allows. */
  readonly rate?: number;
  /** A sweep (`--rates`): one paced run per rate, in this order, against the same services. */
  readonly rates?: readonly number[];
  /**
   * Per-stage latency (`--stages`): a read_committed consumer of the enriched topic runs beside
   * the services and takes CPU from them (and the broker's fetch work), so it is opt-in.
   */
  readonly stages: boolean;
  /** `LOG_LEVEL` of the started services (`--log-level`). */
  readonly logLevel: LogLevel;
  /** Keep the run's temporary directory with the service logs (`--keep-logs`) instead of deleting it. */
  readonly keepLogs: boolean;
}

/** Raw flags as commander gives them. */
export interface RawBenchOptions {
  readonly devices?: string;
  readonly messages?: string;
  readonly inFlight?: string;
  readonly warmUp?: string;
  readonly baselines?: boolean;
  readonly drainTimeout?: string;
  readonly rate?: string;
  readonly rates?: string;
  readonly stages?: boolean;
  readonly logLevel?: string;
  readonly keepLogs?: boolean;
}

/**
 * Warm-up messages before the measured runs, in all. Measured here (50 devices × 1,000 messages,
 * unpaced, alternating): after 5,000 warm-up messages the bridge spent 0.020-0.022 ms of CPU per
 * message, the processor 0.021 and the sink 0.014-0.015 (19,700-19,900 msg/s end to end); after
 * 100,000 they spent 0.017, 0.016-0.018 and 0.010 (22,900-24,300 msg/s). V8 needs that many
 * messages through a fresh process before its code and heap settle; services that run for days
 * are there all the time.
 */
export const DEFAULT_WARM_UP = 100_000;

/**
 * Messages per device of the warm-up after each device's first message: the rest of `total`
 * spread evenly, rounded up.
 */
export function warmUpPerDevice(total: number, devices: number): number {
  return Math.ceil(Math.max(0, total - devices) / devices);
}

/** Upper bound of devices × messages: the run must stay bounded in time and memory. */
export const MAX_TOTAL_MESSAGES = 2_000_000;

/** Highest `--rate`: far above what one machine's loopback pipeline carries. */
export const MAX_RATE = 1_000_000;

/** At most this many rates in one `--rates` sweep. */
export const MAX_SWEEP_RATES = 12;

/**
 * Longest paced run, seconds (devices × messages ÷ rate): the load generator cuts a run off after
 * 10 minutes, and a sweep repeats it per rate.
 */
export const MAX_PACED_RUN_S = 600;

/** Longest schedule of a whole `--rates` sweep, seconds (the sum of its runs' devices × messages ÷ rate). */
export const MAX_SWEEP_S = 1_800;

/** Validates the benchmark flags; every problem in one ZEN_BAD_REQUEST. */
export function parseBenchOptions(raw: RawBenchOptions): BenchOptions {
  const problems: string[] = [];
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      problems.push(`--${name} "${text}" must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(text);
  };
  const devices = int('devices', raw.devices, 50, 1, 2_000);
  const messages = int('messages', raw.messages, 1_000, 1, 1_000_000);
  const inFlight = int('in-flight', raw.inFlight, 16, 1, 1_000);
  const warmUp = int('warm-up', raw.warmUp, DEFAULT_WARM_UP, 0, MAX_TOTAL_MESSAGES);
  const drainTimeoutMs = int('drain-timeout', raw.drainTimeout, 120, 5, 1_800) * 1000;
  const rate = raw.rate === undefined ? undefined : int('rate', raw.rate, 1, 1, MAX_RATE);
  let rates: number[] | undefined;
  if (raw.rates !== undefined) {
    const parts = raw.rates.split(',').map((p) => p.trim());
    if (parts.length > MAX_SWEEP_RATES || parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > MAX_RATE)) {
      problems.push(`--rates "${raw.rates}" must be 1 to ${MAX_SWEEP_RATES} comma-separated integers from 1 to ${MAX_RATE}`);
    } else {
      rates = parts.map(Number);
    }
  }
  if (rate !== undefined && raw.rates !== undefined) problems.push('--rate and --rates exclude each other');
  const logLevel = raw.logLevel ?? DEFAULT_LOG_LEVEL;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    problems.push(`--log-level "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  if (problems.length === 0 && devices * messages > MAX_TOTAL_MESSAGES) {
    problems.push(`--devices × --messages is ${devices * messages}; at most ${MAX_TOTAL_MESSAGES} per run`);
  }
  const slowest = Math.min(rate ?? Infinity, ...(rates ?? []));
  if (problems.length === 0 && Number.isFinite(slowest) && (devices * messages) / slowest > MAX_PACED_RUN_S) {
    problems.push(
      `--devices × --messages at ${slowest} msg/s would take ${Math.ceil((devices * messages) / slowest)} s; at most ${MAX_PACED_RUN_S} s per paced run`,
    );
  }
  const sweepS = (rates ?? []).reduce((sum, r) => sum + (devices * messages) / r, 0);
  if (problems.length === 0 && sweepS > MAX_SWEEP_S) {
    problems.push(`the sweep's runs would take ${Math.ceil(sweepS)} s together; at most ${MAX_SWEEP_S} s`);
  }
  if (problems.length > 0) throw new ZenthosError('ZEN_BAD_REQUEST', problems.join('; '));
  return {
    devices,
    messages,
    inFlight,
    warmUp,
    baselines: raw.baselines !== false,
    drainTimeoutMs,
    ...(rate !== undefined ? { rate } : {}),
    ...(rates !== undefined ? { rates } : {}),
    stages: raw.stages === true,
    logLevel: logLevel as LogLevel,
    keepLogs: raw.keepLogs === true,
  };
}

/** The stage benchmarks of other packages, by the name `zenthos bench <stage>` takes. */
export const stagePackages = {
  bridge: { dir: 'connectors/mqtt-bridge', name: '@zenthos/mqtt-bridge' },
  streams: { dir: 'streams', name: '@zenthos/streams' },
  sink: { dir: 'connectors/timescale-sink', name: '@zenthos/timescale-sink' },
  serde: { dir: 'schemas', name: '@zenthos/schemas' },
  ota: { dir: 'ota-api', name: '@zenthos/ota-api' },
} as const;

/** One of the stage names. */
export type StageName = keyof typeof stagePackages;

/** How to run a package's benchmark, or why it cannot be run. */
export type StagePlan =
  | { readonly kind: 'npm-script'; readonly workspace: string; readonly script: string }
  | { readonly kind: 'node'; readonly file: string }
  | { readonly kind: 'none'; readonly reason: string };

/** What the stage resolver looks at in a package (read from disk by the caller). */
export interface StagePackageFacts {
  /** `scripts.bench` of its package.json. */
  readonly benchScript: string | undefined;
  /** Files under `<pkg>/bench/`. */
  readonly benchFiles: readonly string[];
  /** Files under `<pkg>/dist/bench/` (compiled TypeScript benchmarks). */
  readonly compiledBenchFiles: readonly string[];
  /** Whether each path the bench script names exists, by path relative to the package. */
  readonly exists: (relativePath: string) => boolean;
}

/**
 * Decides how to run a stage's benchmark: the package's own `npm run bench` when its script
 * points at a file that exists; else a compiled `dist/bench/*.js`; else nothing, with the reason
 * (no invented benchmark stands in for a missing one).
 */
export function planStage(stage: StageName, facts: StagePackageFacts): StagePlan {
  const pkg = stagePackages[stage];
  if (facts.benchScript) {
    const files = facts.benchScript.split(/\s+/).filter((w) => /\.(c?js|ts)$/.test(w));
    // A script that compiles first (`tsc -b && node dist/…`) makes its own file.
    const builds = /\btsc\b/.test(facts.benchScript);
    const missing = builds ? [] : files.filter((f) => !facts.exists(f));
    if (missing.length === 0) return { kind: 'npm-script', workspace: pkg.name, script: facts.benchScript };
    if (facts.compiledBenchFiles.length === 0) {
      return {
        kind: 'none',
        reason: `${pkg.dir} declares "bench": "${facts.benchScript}" but ${missing.join(', ')} does not exist (build with npx tsc -b ${pkg.dir}, or the benchmark is not written yet)`,
      };
    }
  }
  const compiled = facts.compiledBenchFiles.filter((f) => f.endsWith('.js')).sort();
  if (compiled.length > 0) return { kind: 'node', file: `${pkg.dir}/dist/bench/${compiled[0]}` };
  if (facts.benchFiles.length > 0) {
    return {
      kind: 'none',
      reason: `${pkg.dir}/bench has ${facts.benchFiles.join(', ')} but nothing compiled; run npx tsc -b ${pkg.dir} first`,
    };
  }
  return { kind: 'none', reason: `${pkg.dir} exposes no benchmark (no "bench" script, no bench/ files)` };
}
