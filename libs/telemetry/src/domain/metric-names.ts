import { millisecondsToSecondsName } from './prometheus-units';

/**
 * The names of every Zenthos metric, shared by services and dashboards (spec §10).
 *
 * Code records with the OpenTelemetry name (`metricNames.x`); Prometheus, Grafana and alert
 * rules use the exposition name (`prometheusNames.x`). The exporter this library uses
 * (`@opentelemetry/exporter-prometheus` 0.301) turns one into the other by:
 *   1. replacing every character outside `[a-zA-Z0-9_]` (the dots) with `_`;
 *   2. appending `_total` to monotonic counters whose name does not already end in `_total`;
 *   3. never appending a unit suffix (the unit only appears in a `# UNIT` comment);
 *   4. histograms expose `<name>_bucket{le=...}`, `<name>_sum` and `<name>_count`.
 * and this library adds one rule before serializing (prometheus-units.ts), because
 * `promtool check metrics` rejects abbreviated and non-base units:
 *   5. a metric with unit `ms` is exposed in seconds: `…_ms` becomes `…_seconds` and every
 *      value (sum, bucket bounds) is divided by 1000. OTLP keeps the spec's `_ms` names.
 * `metric-names.test.ts` checks these rules against the exporter's real output, so an exporter
 * upgrade that changes them fails there first.
 */
export const metricNames = {
  // --- MQTT bridge (connectors/mqtt-bridge) -------------------------------------------------
  /** Counter: messages accepted from devices and acknowledged by Kafka. Labels: kind, device_model. */
  messagesIngested: 'zenthos.middleware.messages_ingested',
  /** Histogram (ms): MQTT receive → Kafka ack. Labels: kind. */
  ingestLatencyMs: 'zenthos.middleware.ingest_latency_ms',
  /** Counter: payloads refused as invalid (schema, size, JSON) and sent to the DLQ. Labels: kind, reason. */
  messagesInvalid: 'zenthos.middleware.messages_invalid',
  /** Counter: connections or publishes refused by authentication/authorization. Labels: reason. */
  messagesRefused: 'zenthos.middleware.messages_refused',
  /** UpDownCounter or gauge: devices with an open MQTT session. Labels: device_model. */
  connectedDevices: 'zenthos.middleware.connected_devices',

  // --- Stream processors (streams/) ----------------------------------------------------------
  /** Counter: records handled by a processor. Labels: processor, outcome (forward|drop|dead_letter). */
  recordsProcessed: 'zenthos.streams.records_processed',
  /** Histogram (ms): time a processor spends on one record. Labels: processor. */
  processingTimeMs: 'zenthos.streams.processing_time_ms',
  /** Counter: records written to `zenthos.dlq`, by any service. Labels: reason, source_topic. */
  dlqMessages: 'zenthos.dlq.messages',
  /** Gauge: consumer lag in records (log end offset − committed offset). Labels: group, topic, partition. */
  consumerLag: 'zenthos.kafka.consumer_lag',

  // --- Sinks (connectors/timescale-sink, connectors/rabbitmq-bridge) -------------------------
  /** Counter: rows committed to PostgreSQL/TimescaleDB. Labels: table. */
  rowsWritten: 'zenthos.sink.rows_written',
  /** Histogram (ms): one batched database write, begin → commit. Labels: table. */
  dbWriteLatencyMs: 'zenthos.sink.write_latency_ms',
  /** Counter: rows skipped as already stored (same message_id). Labels: table. */
  sinkDuplicates: 'zenthos.sink.duplicates',
  /** Histogram (rows): rows per database write. Labels: table. */
  sinkBatchSize: 'zenthos.sink.batch_size',
  /** Counter: envelopes published to RabbitMQ and confirmed. Labels: routing_key. */
  rabbitPublished: 'zenthos.rabbit.messages_published',

  // --- Workers (RabbitMQ consumers) ----------------------------------------------------------
  /** Histogram (ms): spec name; one job handled by a worker. Labels: queue, outcome. */
  workerProcessingTimeMs: 'zenthos.worker.processing_time_ms',

  // --- OTA API (ota-api) ---------------------------------------------------------------------
  /** Counter: spec name; HTTP requests. Labels: status (HTTP code), route, method. */
  otaRequests: 'zenthos.ota.requests_total',
  /** Gauge: share of a rollout's target devices that report the new version, 0..1. Labels: rollout_id, device_model, version. */
  rolloutProgress: 'zenthos.ota.rollout_progress',
  /** Gauge: devices of a rollout per state. Labels: rollout_id, device_model, version, state (pending|downloading|installed|failed|rolled_back, as rollout_devices.state plus pending). */
  rolloutDevices: 'zenthos.ota.rollout_devices',
  /** Gauge: registered devices per reported firmware version. Labels: device_model, firmware_version. */
  devicesByFirmware: 'zenthos.fleet.devices_by_firmware',
} as const;

/** Key of a Zenthos metric in {@link metricNames}. */
export type MetricKey = keyof typeof metricNames;
/** An OpenTelemetry metric name of Zenthos. */
export type MetricName = (typeof metricNames)[MetricKey];

/** The instrument each metric is recorded with; decides its Prometheus type. */
export type MetricKind = 'counter' | 'histogram' | 'gauge' | 'updowncounter';

/** Instrument kind, unit and description of a metric, to spread into `meter.createX(name, options)`. */
export interface MetricDefinition {
  readonly kind: MetricKind;
  /** UCUM unit: `ms`, `1` (a ratio), `{message}` (a count of things). */
  readonly unit: string;
  readonly description: string;
}

/** How each metric is recorded. Create instruments with `meter.createCounter(metricNames.x, metricOptions.x)`. */
export const metricOptions = {
  messagesIngested: { kind: 'counter', unit: '{message}', description: 'Device messages accepted and acknowledged by Kafka' },
  ingestLatencyMs: { kind: 'histogram', unit: 'ms', description: 'MQTT receive to Kafka acknowledgement' },
  messagesInvalid: { kind: 'counter', unit: '{message}', description: 'Device messages refused as invalid and sent to the DLQ' },
  messagesRefused: {
    kind: 'counter',
    unit: '{message}',
    description: 'Connections or publishes refused by authentication or authorization',
  },
  connectedDevices: { kind: 'updowncounter', unit: '{device}', description: 'Devices with an open MQTT session' },
  recordsProcessed: { kind: 'counter', unit: '{record}', description: 'Records handled by a stream processor, by outcome' },
  processingTimeMs: { kind: 'histogram', unit: 'ms', description: 'Time a stream processor spends on one record' },
  dlqMessages: { kind: 'counter', unit: '{message}', description: 'Records written to the dead-letter topic' },
  consumerLag: { kind: 'gauge', unit: '{record}', description: 'Kafka consumer lag: log end offset minus committed offset' },
  rowsWritten: { kind: 'counter', unit: '{row}', description: 'Rows committed to PostgreSQL/TimescaleDB' },
  dbWriteLatencyMs: { kind: 'histogram', unit: 'ms', description: 'One batched database write, begin to commit' },
  sinkDuplicates: { kind: 'counter', unit: '{row}', description: 'Rows skipped because their message_id was already stored' },
  sinkBatchSize: { kind: 'histogram', unit: '{row}', description: 'Rows per database write' },
  rabbitPublished: { kind: 'counter', unit: '{message}', description: 'Envelopes published to RabbitMQ and confirmed' },
  workerProcessingTimeMs: { kind: 'histogram', unit: 'ms', description: 'Time a worker spends on one job' },
  otaRequests: { kind: 'counter', unit: '{request}', description: 'OTA API HTTP requests by status' },
  rolloutProgress: { kind: 'gauge', unit: '1', description: 'Share of a rollout target that reports the new version (0..1)' },
  rolloutDevices: { kind: 'gauge', unit: '{device}', description: 'Devices of a rollout per state' },
  devicesByFirmware: { kind: 'gauge', unit: '{device}', description: 'Registered devices per reported firmware version' },
} as const satisfies Record<MetricKey, MetricDefinition>;

/**
 * The Prometheus name of an OpenTelemetry metric as the exporter exposes it (rules above).
 * For a histogram this is the family name; series add `_bucket`, `_sum`, `_count`.
 */
export const toPrometheusName = (name: string, kind: MetricKind, unit = ''): string => {
  const sanitized = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
  const base = unit === 'ms' ? millisecondsToSecondsName(sanitized) : sanitized;
  return kind === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
};

/** The Prometheus exposition name of every Zenthos metric: what dashboards and alerts query. */
export const prometheusNames = Object.fromEntries(
  (Object.keys(metricNames) as MetricKey[]).map((key) => [
    key,
    toPrometheusName(metricNames[key], metricOptions[key].kind, metricOptions[key].unit),
  ]),
) as { readonly [K in MetricKey]: string };

/**
 * Every series name a Prometheus query may use for Zenthos metrics: counter and gauge names,
 * and a histogram's `_bucket`, `_sum` and `_count`.
 */
export const prometheusSeriesNames = (): string[] =>
  (Object.keys(metricNames) as MetricKey[]).flatMap((key) => {
    const name = prometheusNames[key];
    return metricOptions[key].kind === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  });

/** Label (attribute) names used with the metrics above, so producers and dashboards agree. */
export const metricLabels = {
  kind: 'kind',
  deviceModel: 'device_model',
  reason: 'reason',
  processor: 'processor',
  outcome: 'outcome',
  sourceTopic: 'source_topic',
  group: 'group',
  topic: 'topic',
  partition: 'partition',
  table: 'table',
  routingKey: 'routing_key',
  queue: 'queue',
  status: 'status',
  route: 'route',
  method: 'method',
  rolloutId: 'rollout_id',
  version: 'version',
  state: 'state',
  firmwareVersion: 'firmware_version',
} as const;
