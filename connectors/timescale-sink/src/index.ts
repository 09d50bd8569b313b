// Public API of @zenthos/timescale-sink.
export { sinkConfigShape, loadSinkConfig, type SinkConfig } from './config';
export { sinkErrorCodes } from './errors';
export { recordKinds, enrichedTopic, kindOfTopic, type RecordKind, type EnrichedByKind } from './domain/records';
export {
  tableSpecs,
  buildTableBatches,
  insertStatement,
  columnArrays,
  copyStatements,
  copyTextLine,
  stagingTable,
  type TableSpec,
  type TableBatch,
  type Column,
} from './domain/rows';
export { commitPositions } from './domain/offsets';
export { createSinkInstruments, sinkOnlyMetricNames, type SinkInstruments } from './adapters/instruments';
export {
  parseSince,
  parseBucket,
  buildTelemetrySql,
  formatTelemetryRows,
  rollupBuckets,
  type TelemetryQuery,
} from './domain/telemetry-query';
export { createPostgresWriter, isRetriableDbError, type BatchWriter, type WriteResult } from './adapters/postgres-writer';
export { createRollupRefresher, type RollupRefresher, type RefreshOutcome } from './adapters/rollup-refresher';
export { createSinkRunner, type SinkRunner, type SinkRunnerOptions } from './adapters/sink-runner';
export { queryTelemetry } from './adapters/telemetry-reader';
export { startSink, runSink, type RunningSink } from './main';
export { registerSinkCommands } from './cli';
