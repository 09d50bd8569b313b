import type { Histogram, MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { DataPointType } from '@opentelemetry/sdk-metrics';

/**
 * Prometheus wants base units in names (`promtool check metrics`: "metric names should not
 * contain abbreviated units"; "use base unit seconds"). The spec's OpenTelemetry names end in
 * `_ms`, so for the Prometheus exposition only, a metric whose unit is `ms` is renamed
 * `…_ms` → `…_seconds` (or gets `_seconds` appended) and its values, sums, min/max and bucket
 * bounds are divided by 1000. OTLP export keeps the spec's names and milliseconds.
 */
export const millisecondsToSecondsName = (name: string): string =>
  name.endsWith('_ms') ? `${name.slice(0, -3)}_seconds` : `${name}_seconds`;

const scaleHistogram = (h: Histogram): Histogram => ({
  ...h,
  ...(h.sum === undefined ? {} : { sum: h.sum / 1000 }),
  ...(h.min === undefined ? {} : { min: h.min / 1000 }),
  ...(h.max === undefined ? {} : { max: h.max / 1000 }),
  buckets: { boundaries: h.buckets.boundaries.map((b) => b / 1000), counts: h.buckets.counts },
});

const toSeconds = (metric: MetricData): MetricData => {
  if (metric.descriptor.unit !== 'ms') return metric;
  const descriptor = { ...metric.descriptor, name: millisecondsToSecondsName(metric.descriptor.name), unit: 's' };
  switch (metric.dataPointType) {
    case DataPointType.HISTOGRAM:
      return { ...metric, descriptor, dataPoints: metric.dataPoints.map((p) => ({ ...p, value: scaleHistogram(p.value) })) };
    case DataPointType.SUM:
      return { ...metric, descriptor, dataPoints: metric.dataPoints.map((p) => ({ ...p, value: p.value / 1000 })) };
    case DataPointType.GAUGE:
      return { ...metric, descriptor, dataPoints: metric.dataPoints.map((p) => ({ ...p, value: p.value / 1000 })) };
    default:
      // Exponential histograms cannot be rescaled exactly; leave them as they are.
      return metric;
  }
};

/** `resourceMetrics` with millisecond metrics expressed in seconds (see above). */
export const withBaseUnits = (resourceMetrics: ResourceMetrics): ResourceMetrics => ({
  ...resourceMetrics,
  scopeMetrics: resourceMetrics.scopeMetrics.map((s) => ({ ...s, metrics: s.metrics.map(toSeconds) })),
});
