import type { Meter } from '@opentelemetry/api';
import { metricNames, metricOptions } from '@zenthos/telemetry';

/** A counter as the runner uses it (an OpenTelemetry Counter fits). */
export interface CounterLike {
  add(value: number, attributes?: Record<string, string>): void;
}
/** A histogram as the runner uses it (an OpenTelemetry Histogram fits). */
export interface HistogramLike {
  record(value: number, attributes?: Record<string, string>): void;
}

/** What the sink records (spec §10): rows written, batch size, write latency, and its failures. */
export interface SinkInstruments {
  readonly rowsWritten: CounterLike;
  readonly duplicates: CounterLike;
  readonly batchSize: HistogramLike;
  readonly writeLatencyMs: HistogramLike;
  readonly dbRetries: CounterLike;
  readonly deadLettered: CounterLike;
  readonly commitFailures: CounterLike;
  /** Background rollup refreshes, by outcome (refreshed, busy, failed). */
  readonly rollupRefreshes: CounterLike;
}

/**
 * Names only the sink records, next to the shared ones of @zenthos/telemetry (metricNames),
 * so every metric name of the sink is defined in one of those two places.
 */
export const sinkOnlyMetricNames = {
  dbRetries: 'zenthos.sink.db_retries',
  commitFailures: 'zenthos.sink.commit_failures',
  rollupRefreshes: 'zenthos.sink.rollup_refreshes',
} as const;

/** The sink's instruments on an OpenTelemetry meter (see @zenthos/telemetry initTelemetry). */
export function createSinkInstruments(meter: Meter): SinkInstruments {
  return {
    rowsWritten: meter.createCounter(metricNames.rowsWritten, metricOptions.rowsWritten),
    duplicates: meter.createCounter(metricNames.sinkDuplicates, metricOptions.sinkDuplicates),
    batchSize: meter.createHistogram(metricNames.sinkBatchSize, metricOptions.sinkBatchSize),
    writeLatencyMs: meter.createHistogram(metricNames.dbWriteLatencyMs, metricOptions.dbWriteLatencyMs),
    dbRetries: meter.createCounter(sinkOnlyMetricNames.dbRetries, {
      unit: '{attempt}',
      description: 'Batch attempts that failed with a retriable error',
    }),
    deadLettered: meter.createCounter(metricNames.dlqMessages, metricOptions.dlqMessages),
    commitFailures: meter.createCounter(sinkOnlyMetricNames.commitFailures, {
      unit: '{commit}',
      description: 'Offset commits that failed (the batch is re-delivered and deduplicated)',
    }),
    rollupRefreshes: meter.createCounter(sinkOnlyMetricNames.rollupRefreshes, {
      unit: '{refresh}',
      description: 'Background refreshes of the telemetry rollups (plain PostgreSQL), by outcome',
    }),
  };
}
