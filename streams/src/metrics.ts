import type { Attributes, Meter } from '@opentelemetry/api';
import { metricLabels, metricNames, metricOptions } from '@zenthos/telemetry';

/**
 * The metrics of the stream processors (spec §10), with the names @zenthos/telemetry shares
 * with the dashboards: records per processor and outcome (in = all outcomes, out = forward,
 * dead-lettered = dead_letter), time per processor step (the mean per record of a batch, observed
 * once per batch and step), the spec's
 * `zenthos.worker.processing_time_ms` per poll batch, dead letters by reason, consumer lag.
 */
export const streamMetricNames = {
  recordsProcessed: metricNames.recordsProcessed,
  processingTimeMs: metricNames.processingTimeMs,
  workerProcessingTimeMs: metricNames.workerProcessingTimeMs,
  dlqMessages: metricNames.dlqMessages,
  consumerLag: metricNames.consumerLag,
} as const;

/** What a processor step decided about a record. */
export type RecordOutcomeLabel = 'forward' | 'drop' | 'dead_letter';

/** The processor's instruments, plus a local tally for progress lines and tests. */
export interface StreamMetrics {
  recordOutcome(processor: string, outcome: RecordOutcomeLabel, count: number): void;
  recordStepTime(processor: string, ms: number): void;
  recordBatchTime(queue: string, outcome: 'committed' | 'aborted', ms: number): void;
  deadLetter(reason: string, sourceTopic: string, count: number): void;
  setLag(group: string, topic: string, partition: number, lag: number): void;
  /** Records counted for a processor and outcome since start. */
  count(processor: string, outcome: RecordOutcomeLabel): number;
  /** Batches (Kafka transactions) committed or aborted since start. */
  batches(outcome: 'committed' | 'aborted'): number;
}

/** Creates the instruments on `meter` (the service's telemetry meter). */
export function createStreamMetrics(meter: Meter): StreamMetrics {
  const opts = (key: keyof typeof metricOptions) => ({ unit: metricOptions[key].unit, description: metricOptions[key].description });
  const L = metricLabels;
  const records = meter.createCounter(metricNames.recordsProcessed, opts('recordsProcessed'));
  const stepTime = meter.createHistogram(metricNames.processingTimeMs, opts('processingTimeMs'));
  const batchTime = meter.createHistogram(metricNames.workerProcessingTimeMs, opts('workerProcessingTimeMs'));
  const dlq = meter.createCounter(metricNames.dlqMessages, opts('dlqMessages'));
  const lags = new Map<string, { attrs: Attributes; lag: number }>();
  const lagGauge = meter.createObservableGauge(metricNames.consumerLag, opts('consumerLag'));
  lagGauge.addCallback((result) => {
    for (const { attrs, lag } of lags.values()) result.observe(lag, attrs);
  });
  const tally = new Map<string, number>();
  const stepAttrs = new Map<string, Attributes>();
  const batchTally = { committed: 0, aborted: 0 };
  return {
    recordOutcome(processor, outcome, count) {
      if (count === 0) return;
      records.add(count, { [L.processor]: processor, [L.outcome]: outcome });
      const key = `${processor}\u0000${outcome}`;
      tally.set(key, (tally.get(key) ?? 0) + count);
    },
    recordStepTime(processor, ms) {
      // One attributes object per processor instead of one per record and step.
      let attrs = stepAttrs.get(processor);
      if (!attrs) stepAttrs.set(processor, (attrs = { [L.processor]: processor }));
      stepTime.record(ms, attrs);
    },
    recordBatchTime(queue, outcome, ms) {
      batchTime.record(ms, { [L.queue]: queue, [L.outcome]: outcome });
      batchTally[outcome]++;
    },
    deadLetter: (reason, sourceTopic, count) => dlq.add(count, { [L.reason]: reason, [L.sourceTopic]: sourceTopic }),
    setLag: (group, topic, partition, lag) =>
      void lags.set(`${group}\u0000${topic}\u0000${partition}`, {
        attrs: { [L.group]: group, [L.topic]: topic, [L.partition]: partition },
        lag,
      }),
    count: (processor, outcome) => tally.get(`${processor}\u0000${outcome}`) ?? 0,
    batches: (outcome) => batchTally[outcome],
  };
}
