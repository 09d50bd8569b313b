import type { Attributes, Meter } from '@opentelemetry/api';
import { metricLabels, metricNames, metricOptions } from '@zenthos/telemetry';

/** The shared metric names (spec §10) the bridge records, from @zenthos/telemetry. */
export const bridgeMetricNames = {
  messagesIngested: metricNames.messagesIngested,
  ingestLatencyMs: metricNames.ingestLatencyMs,
  messagesInvalid: metricNames.messagesInvalid,
  messagesRefused: metricNames.messagesRefused,
  connectedDevices: metricNames.connectedDevices,
  dlqMessages: metricNames.dlqMessages,
} as const;

type Labels = Readonly<Record<string, string>>;
type CountedMetric = Exclude<keyof typeof bridgeMetricNames, 'ingestLatencyMs'>;

/** What the bridge records. */
export interface BridgeMetrics {
  ingested(labels: { kind: string; device_model: string }, latencyMs: number): void;
  invalid(labels: { kind: string; reason: string }): void;
  refused(labels: { reason: string }): void;
  connected(delta: 1 | -1): void;
  /** Current value of a counter, summed over series matching `labels` (tests and the benchmark read it). */
  count(name: CountedMetric, labels?: Labels): number;
}

const keyOf = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

interface Tally {
  readonly labels: Labels;
  value: number;
}

/** What one `ingested` series needs on every message, built once per (kind, device model). */
interface IngestedSeries {
  readonly counterAttributes: Attributes;
  readonly latencyAttributes: Attributes;
  readonly tally: Tally;
}

/**
 * Records the bridge's metrics on an OpenTelemetry meter (exported over OTLP and served as
 * Prometheus text by @zenthos/telemetry), and keeps the counts in memory for `count`.
 */
export function createBridgeMetrics(meter: Meter): BridgeMetrics {
  // Observed from the in-memory tallies when metrics are collected: the same monotonic sum,
  // exported under the same name, without an attribute lookup in the SDK per message.
  const ingested = meter.createObservableCounter(metricNames.messagesIngested, metricOptions.messagesIngested);
  const latency = meter.createHistogram(metricNames.ingestLatencyMs, metricOptions.ingestLatencyMs);
  const invalid = meter.createCounter(metricNames.messagesInvalid, metricOptions.messagesInvalid);
  const dlq = meter.createCounter(metricNames.dlqMessages, metricOptions.dlqMessages);
  const refused = meter.createCounter(metricNames.messagesRefused, metricOptions.messagesRefused);
  const connected = meter.createUpDownCounter(metricNames.connectedDevices, metricOptions.connectedDevices);
  const tallies = new Map<CountedMetric, Map<string, Tally>>();
  const tallyOf = (name: CountedMetric, labels: Labels): Tally => {
    let series = tallies.get(name);
    if (!series) tallies.set(name, (series = new Map()));
    const key = keyOf(labels);
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { labels, value: 0 }));
    return entry;
  };
  const tally = (name: CountedMetric, labels: Labels, by = 1): void => {
    tallyOf(name, labels).value += by;
  };
  // Every accepted message lands here: the attribute objects and the tally entry of its series
  // are built once, not per message (sorting and serialising labels per call cost more than
  // the counting itself). Kinds × device models is a small, fleet-bounded set.
  // Looked up by kind, then by model: two lookups of strings the message carries already
  // (their hashes cached) instead of a key string built and hashed per message.
  const ingestedSeries = new Map<string, Map<string, IngestedSeries>>();
  const ingestedSeriesOf = (kind: string, deviceModel: string): IngestedSeries => {
    let byModel = ingestedSeries.get(kind);
    if (!byModel) ingestedSeries.set(kind, (byModel = new Map()));
    let series = byModel.get(deviceModel);
    if (!series) {
      series = {
        counterAttributes: { [metricLabels.kind]: kind, [metricLabels.deviceModel]: deviceModel },
        latencyAttributes: { [metricLabels.kind]: kind },
        tally: tallyOf('messagesIngested', { kind, device_model: deviceModel }),
      };
      byModel.set(deviceModel, series);
    }
    return series;
  };
  ingested.addCallback((result) => {
    for (const byModel of ingestedSeries.values())
      for (const series of byModel.values()) result.observe(series.tally.value, series.counterAttributes);
  });

  return {
    ingested(labels, latencyMs) {
      const series = ingestedSeriesOf(labels.kind, labels.device_model);
      latency.record(latencyMs, series.latencyAttributes);
      series.tally.value++;
    },
    invalid(labels) {
      invalid.add(1, { [metricLabels.kind]: labels.kind, [metricLabels.reason]: labels.reason });
      dlq.add(1, { [metricLabels.reason]: labels.reason, [metricLabels.sourceTopic]: 'mqtt' });
      tally('messagesInvalid', labels);
      tally('dlqMessages', { reason: labels.reason });
    },
    refused(labels) {
      refused.add(1, { [metricLabels.reason]: labels.reason });
      tally('messagesRefused', labels);
    },
    connected(delta) {
      connected.add(delta);
      tally('connectedDevices', {}, delta);
    },
    count(name, labels = {}) {
      let total = 0;
      for (const entry of tallies.get(name)?.values() ?? []) {
        if (Object.entries(labels).every(([k, v]) => entry.labels[k] === v)) total += entry.value;
      }
      return total;
    },
  };
}
