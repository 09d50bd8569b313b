import { commonEnv, isZenthosError, loadConfig } from '@zenthos/core';
import {
  DEFAULT_LOG_LEVEL,
  LOG_LEVELS,
  parseBenchOptions,
  planStage,
  warmUpPerDevice,
  type RawBenchOptions,
  type StagePackageFacts,
} from './options';

const problem = (raw: RawBenchOptions): string => {
  try {
    parseBenchOptions(raw);
  } catch (err) {
    if (isZenthosError(err, 'ZEN_BAD_REQUEST')) return err.message;
    throw err;
  }
  throw new Error('accepted');
};

describe('warmUpPerDevice', () => {
  it('spreads what is left after the first message per device, rounded up', () => {
    expect(warmUpPerDevice(100_000, 50)).toBe(1_999);
    expect(warmUpPerDevice(100_000, 30)).toBe(3_333);
    expect(warmUpPerDevice(101, 100)).toBe(1);
  });
  it('is 0 when the first messages are the whole warm-up', () => {
    expect(warmUpPerDevice(0, 50)).toBe(0);
    expect(warmUpPerDevice(50, 50)).toBe(0);
  });
});

describe('parseBenchOptions', () => {
  it('defaults to 50 devices × 1,000 messages with the baselines, no stage observer, services at warn, logs deleted', () => {
    expect(parseBenchOptions({})).toEqual({
      devices: 50,
      messages: 1_000,
      inFlight: 16,
      warmUp: 100_000,
      baselines: true,
      drainTimeoutMs: 120_000,
      stages: false,
      logLevel: 'warn',
      keepLogs: false,
    });
  });
  it('reads the flags (--no-baselines gives baselines false)', () => {
    expect(
      parseBenchOptions({ devices: '10', messages: '1000', inFlight: '4', warmUp: '0', baselines: false, drainTimeout: '30' }),
    ).toEqual({
      devices: 10,
      messages: 1000,
      inFlight: 4,
      warmUp: 0,
      baselines: false,
      drainTimeoutMs: 30_000,
      stages: false,
      logLevel: 'warn',
      keepLogs: false,
    });
  });
  it('reads --stages, --log-level and --keep-logs', () => {
    expect(parseBenchOptions({ stages: true, logLevel: 'debug', keepLogs: true })).toMatchObject({
      stages: true,
      logLevel: 'debug',
      keepLogs: true,
    });
    expect(parseBenchOptions({ stages: false, keepLogs: false })).toMatchObject({ stages: false, keepLogs: false });
  });
  it('accepts every log level the services accept', () => {
    expect(LOG_LEVELS).toEqual(expect.arrayContaining(['warn', 'info', 'debug', 'silent']));
    for (const level of LOG_LEVELS) expect(parseBenchOptions({ logLevel: level }).logLevel).toBe(level);
    expect(loadConfig(commonEnv, { LOG_LEVEL: DEFAULT_LOG_LEVEL }).LOG_LEVEL).toBe('warn');
  });
  it.each<[RawBenchOptions, string]>([
    [{ devices: '0' }, '--devices "0"'],
    [{ devices: '2001' }, '--devices "2001"'],
    [{ messages: 'many' }, '--messages "many"'],
    [{ inFlight: '0' }, '--in-flight "0"'],
    [{ warmUp: '-1' }, '--warm-up "-1" must be an integer from 0 to 2000000'],
    [{ warmUp: '2000001' }, '--warm-up "2000001" must be an integer from 0 to 2000000'],
    [{ drainTimeout: '1' }, '--drain-timeout "1"'],
    [{ devices: '2000', messages: '1001' }, 'at most 2000000 per run'],
    [{ rate: '0' }, '--rate "0" must be an integer from 1 to 1000000'],
    [{ rate: '8k' }, '--rate "8k"'],
    [{ rates: '8000,,12000' }, '--rates "8000,,12000"'],
    [{ rates: '8000,0' }, '--rates "8000,0"'],
    [{ rates: Array.from({ length: 13 }, (_, i) => String(1000 * (i + 1))).join(',') }, 'must be 1 to 12 comma-separated integers'],
    [{ rate: '8000', rates: '8000,12000' }, '--rate and --rates exclude each other'],
    [{ logLevel: 'verbose' }, '--log-level "verbose" must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ logLevel: 'WARN' }, '--log-level "WARN"'],
    [{ devices: '100', messages: '10000', rate: '1000' }, 'would take 1000 s; at most 600 s per paced run'],
    [{ devices: '100', messages: '10000', rates: '20000,1000' }, 'at 1000 msg/s would take 1000 s'],
    [{ devices: '100', messages: '10000', rates: '2000,2000,2000,2000' }, "the sweep's runs would take 2000 s together; at most 1800 s"],
  ])('refuses %p', (raw, expected) => expect(problem(raw)).toContain(expected));
  it('names a bad log level together with the other problems', () => {
    const message = problem({ devices: '0', logLevel: 'loud' });
    expect(message).toContain('--devices "0"');
    expect(message).toContain('--log-level "loud"');
  });
  it('reads --rate (paced) and --rates (a sweep, in the order given)', () => {
    expect(parseBenchOptions({ rate: '8000' })).toMatchObject({ rate: 8_000 });
    expect(parseBenchOptions({ rate: '8000' }).rates).toBeUndefined();
    expect(parseBenchOptions({ rates: '12000, 8000,20000' })).toMatchObject({ rates: [12_000, 8_000, 20_000] });
    expect(parseBenchOptions({ rates: '16000' }).rate).toBeUndefined();
  });
});

const facts = (over: Partial<StagePackageFacts>): StagePackageFacts => ({
  benchScript: undefined,
  benchFiles: [],
  compiledBenchFiles: [],
  exists: () => false,
  ...over,
});

describe('planStage', () => {
  it("runs the package's bench script when its file exists", () => {
    expect(
      planStage('sink', facts({ benchScript: 'node dist/bench/sink-bench.js', exists: (p) => p === 'dist/bench/sink-bench.js' })),
    ).toEqual({
      kind: 'npm-script',
      workspace: '@zenthos/timescale-sink',
      script: 'node dist/bench/sink-bench.js',
    });
  });
  it('runs a script that compiles its benchmark first even before the file exists', () => {
    expect(planStage('streams', facts({ benchScript: 'tsc -b && node dist/bench/streams-bench.js' })).kind).toBe('npm-script');
  });
  it('says so when the script names a file that does not exist', () => {
    const plan = planStage('bridge', facts({ benchScript: 'node bench/bridge-bench.js' }));
    expect(plan.kind).toBe('none');
    expect(plan.kind === 'none' && plan.reason).toContain('bench/bridge-bench.js does not exist');
  });
  it('falls back to a compiled benchmark', () => {
    expect(
      planStage('serde', facts({ benchFiles: ['serde.bench.ts'], compiledBenchFiles: ['serde.bench.d.ts', 'serde.bench.js'] })),
    ).toEqual({
      kind: 'node',
      file: 'schemas/dist/bench/serde.bench.js',
    });
  });
  it('asks for a build when only sources exist', () => {
    const plan = planStage('serde', facts({ benchFiles: ['serde.bench.ts'] }));
    expect(plan.kind === 'none' && plan.reason).toContain('npx tsc -b schemas');
  });
  it('says clearly when a package exposes no benchmark', () => {
    expect(planStage('streams', facts({}))).toEqual({
      kind: 'none',
      reason: 'streams exposes no benchmark (no "bench" script, no bench/ files)',
    });
  });
});
