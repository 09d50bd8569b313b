// Public API of @zenthos/bench: the end-to-end benchmark with its baselines, the stage
// benchmark dispatcher, and the pure pieces (percentiles, /proc parsing, option checks).
export { benchConfigShape, loadBenchConfig, type BenchConfig } from './config';
export { benchErrorCodes } from './errors';
export { percentile, summarizeLatencies, ratePerSecond, ratio, type LatencySummary } from './domain/stats';
export { stageBreakdown, type MessageTimes, type StageBreakdown } from './domain/stages';
export {
  BACKLOG_LIMIT_S,
  SUSTAINED_SHARE,
  highestHeldRate,
  judgePacedRun,
  spanRatePerSecond,
  type PacedFigures,
  type PacedRunInput,
  type SweepPoint,
} from './domain/paced';
export { sumSamples } from './domain/prometheus';
export { startVisibilityObserver, type VisibilityObserver, type EnrichedSighting, type ObserverSettings } from './adapters/visibility';
export { parseCpuTicks, parseStatusKb, coresUsed, type ProcSample } from './domain/proc-stat';
export {
  parseBenchOptions,
  planStage,
  stagePackages,
  MAX_TOTAL_MESSAGES,
  MAX_RATE,
  MAX_SWEEP_RATES,
  MAX_PACED_RUN_S,
  MAX_SWEEP_S,
  LOG_LEVELS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_WARM_UP,
  warmUpPerDevice,
  type LogLevel,
  type BenchOptions,
  type RawBenchOptions,
  type StageName,
  type StagePlan,
} from './domain/options';
// The load generator lives in @zenthos/testing, shared with the bridge's stage benchmark.
export { runLoad, nowEpochMs, type LoadDevice, type LoadSettings, type LoadResult } from '@zenthos/testing';
export {
  createResourceSampler,
  createGroupSampler,
  findInfrastructure,
  sampleProcess,
  type GroupUsage,
  type ProcessUsage,
  type ResourceSampler,
} from './adapters/proc-sampler';
export { installArrivalClock, arrivals, arrivalCount, telemetryTotals, type ArrivalClock } from './adapters/arrivals';
export { mosquittoBaseline, kafkaProducerBaseline, copyBaseline, type BaselineResult } from './adapters/baselines';
export { parseProducerPerformance } from './domain/producer-perf';
export { cpuMsPerMessage, totalCpuMsPerMessage } from './domain/cpu';
export { benchMethod, type MethodSettings } from './domain/method';
export { formatReport, KAFKA_JIT_WARM_S, kafkaWarmUpNote } from './domain/report';
export {
  runEndToEndBench,
  runStageBench,
  resolveStage,
  type EndToEndResult,
  type EndToEndFigures,
  type ServiceFigures,
  type PacedResult,
  type SweepRun,
  type BenchIo,
} from './main';
export { registerBenchCommands } from './cli';
