import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { isZenthosError, toZenthosError, type ZenthosError } from '@zenthos/core';
import type { OutgoingRecord, ProducerPort } from '@zenthos/kafka';
import type { EncodeOptions, Serde } from '@zenthos/schemas';
import { injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import type { InFlightLimiter } from '../domain/in-flight';
import { deadLetterPlan, planIngest, type DeadLetterPlan, type DeviceMessage, type IngestPlan, type IngestRules } from '../domain/ingest';
import type { InvalidReason } from '../errors';
import type { BridgeMetrics } from './metrics';

/** What became of a message once Kafka acknowledged it. */
export type IngestOutcome =
  { readonly kind: 'ingested'; readonly topic: string } | { readonly kind: 'deadLettered'; readonly reason: InvalidReason };

/** Called once with the end of one message: an error, or its outcome once Kafka acknowledged it. */
export type IngestCallback = (err: ZenthosError | undefined, outcome: IngestOutcome | undefined) => void;

/** Hands one device message to Kafka; resolves only once Kafka has acknowledged the record. */
export interface IngestPipeline {
  /**
   * Validates, encodes and produces the message (or its DLQ record). Rejects with a
   * retriable ZEN_KAFKA_PRODUCE_FAILED or ZEN_SCHEMA_REGISTRY_FAILED when Kafka or the registry
   * cannot take it: the caller must then not acknowledge, so the device sends it again.
   */
  handle(msg: DeviceMessage, parent?: Context): Promise<IngestOutcome>;
  /**
   * `handle` with a callback instead of a promise, for the per-PUBLISH path of the connection
   * stream: `done` runs once and never synchronously; it must not throw. Without `parent`,
   * the active context.
   */
  submit(msg: DeviceMessage, parent: Context | undefined, done: IngestCallback): void;
}

/** The producer the pipeline writes with: the port, plus createRdkafkaProducer's promise-free `produce` when present. */
export type IngestProducer = ProducerPort & {
  readonly produce?: (record: OutgoingRecord, done: (err: ZenthosError | undefined) => void) => void;
};

/** Dependencies of {@link createIngestPipeline}. */
export interface IngestPipelineDeps {
  readonly producer: IngestProducer;
  /** Encodes with the contracts' schemas (registered under their subjects once). */
  readonly serde: Pick<Serde, 'encode' | 'encodeCached'>;
  readonly rules: IngestRules;
  readonly limiter: InFlightLimiter;
  readonly metrics: BridgeMetrics;
  readonly tracer: Tracer;
  /**
   * Whether the bridge exports spans (an OTLP traces endpoint is configured; default true).
   * A message whose parent context has no span (a device that sent no `traceparent`, handled by
   * a bridge that exports nothing) then gets no bridge spans and no trace headers: a trace id
   * made up here would only name spans nobody receives, so the first service that records
   * (the stream processor) starts the message's trace, sampled by its own sampler. A device's
   * trace, and every message of a bridge that exports, is continued as before.
   */
  readonly spansExported?: boolean;
  readonly now?: () => number;
}

type ProducePlan = Extract<IngestPlan, { kind: 'produce' }>;

/**
 * The publish pipeline shared by the in-process broker and external-broker mode:
 * `middleware.handle` span → plan (ACL already passed) → Avro encode (synchronous once the
 * subject's schema id is cached) → `kafka.produce` span → done on the broker's
 * acknowledgement (idempotent, acks=all). At most `limiter` messages are in flight; the rest
 * wait, which stops socket reads upstream.
 */
export function createIngestPipeline(deps: IngestPipelineDeps): IngestPipeline {
  const { producer, serde, rules, limiter, metrics, tracer } = deps;
  const now = deps.now ?? Date.now;
  const spansExported = deps.spansExported ?? true;
  const produce = producer.produce;
  // One options object per contract schema, not one per message.
  const encodeOptions = new WeakMap<object, EncodeOptions>();
  const optionsOf = (plan: ProducePlan): EncodeOptions => {
    let options = encodeOptions.get(plan.schema);
    if (options === undefined) encodeOptions.set(plan.schema, (options = { schema: plan.schema }));
    return options;
  };

  const sendRecord = (record: OutgoingRecord, cb: (err: ZenthosError | undefined) => void): void => {
    if (produce) return produce(record, cb);
    producer.send([record]).then(
      () => cb(undefined),
      (err: unknown) => cb(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true)),
    );
  };

  const deadLetterRecord = (plan: DeadLetterPlan): OutgoingRecord => ({
    topic: plan.topic,
    key: plan.key,
    value: plan.value,
    headers: plan.headers,
  });

  /**
   * The Kafka record of a plan and the plan it carries out, once the subject's schema id is
   * cached (undefined before: `serde.encode` first); a value the Avro type still refuses (the
   * contract check already passed) goes to the DLQ instead.
   */
  const recordOf = (msg: DeviceMessage, plan: IngestPlan): { record: OutgoingRecord; plan: IngestPlan } | undefined => {
    if (plan.kind === 'deadLetter') return { record: deadLetterRecord(plan), plan };
    let value: Buffer | undefined;
    try {
      value = serde.encodeCached(plan.subject, plan.record, optionsOf(plan));
    } catch (err) {
      if (!isZenthosError(err, 'ZEN_PAYLOAD_INVALID')) throw err;
      const dlq = deadLetterPlan(msg, plan.messageKind, 'schema_mismatch', err.message, rules.topics, plan.record.message_id);
      return { record: deadLetterRecord(dlq), plan: dlq };
    }
    return value === undefined ? undefined : { record: { topic: plan.topic, key: plan.key, value }, plan };
  };

  // Caches the subject's writer schema and id (registering it), so the next recordOf encodes.
  const warm = (plan: ProducePlan): Promise<unknown> =>
    serde.encode(plan.subject, plan.record, optionsOf(plan)).catch((err: unknown) => {
      // A value the type refuses is recordOf's to dead-letter; anything else (the registry) fails the message.
      if (!isZenthosError(err, 'ZEN_PAYLOAD_INVALID')) throw err;
    });

  const outcomeOf = (msg: DeviceMessage, done: IngestPlan): IngestOutcome => {
    if (done.kind === 'deadLetter') {
      metrics.invalid({ kind: done.messageKind ?? 'unknown', reason: done.reason });
      return { kind: 'deadLettered', reason: done.reason };
    }
    metrics.ingested({ kind: done.messageKind, device_model: msg.identity.model }, now() - msg.receivedAtMs);
    return { kind: 'ingested', topic: done.topic };
  };

  /**
   * A message with no span and nothing to inject (see spansExported): plan, encode and produce
   * with one callback for the delivery report, no promise per step.
   */
  const runUntraced = (msg: DeviceMessage, release: () => void, done: IngestCallback): void => {
    let out: { record: OutgoingRecord; plan: IngestPlan } | undefined;
    try {
      const plan = planIngest(msg, rules);
      out = recordOf(msg, plan);
      if (out === undefined) {
        // The first message of a subject waits for the registry; the rest encode at once.
        warm(plan as ProducePlan).then(
          () => runUntraced(msg, release, done),
          (err: unknown) => {
            release();
            done(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true), undefined);
          },
        );
        return;
      }
    } catch (err) {
      queueMicrotask(() => {
        release();
        done(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true), undefined);
      });
      return;
    }
    const sent = out;
    sendRecord(sent.record, (err) => {
      release();
      if (err) done(err, undefined);
      else done(undefined, outcomeOf(msg, sent.plan));
    });
  };

  const sendAsync = (record: OutgoingRecord): Promise<void> =>
    new Promise((resolve, reject) => sendRecord(record, (err) => (err ? reject(err) : resolve())));

  const handleTraced = async (msg: DeviceMessage, parent: Context, release: () => void): Promise<IngestOutcome> => {
    // A caller whose own span (mqtt.receive) is not recorded gets no bridge spans below it:
    // none would be exported, and the parent's context already carries the trace id, the
    // sampling decision and a span id of the bridge into the Kafka headers.
    const parentSpan = trace.getSpan(parent);
    const traced = parentSpan === undefined ? spansExported : parentSpan.isRecording();
    const span = traced
      ? tracer.startSpan(
          'middleware.handle',
          { attributes: { 'messaging.source.name': msg.topic, 'zenthos.device_id': msg.identity.deviceId } },
          parent,
        )
      : undefined;
    const ctx = span ? trace.setSpan(parent, span) : parent;
    try {
      const plan = planIngest(msg, rules);
      let encoded = recordOf(msg, plan);
      if (encoded === undefined) {
        await (span ? context.with(ctx, () => warm(plan as ProducePlan)) : warm(plan as ProducePlan));
        encoded = recordOf(msg, plan) as { record: OutgoingRecord; plan: IngestPlan };
      }
      const { record, plan: done } = encoded;
      const produceSpan = span
        ? tracer.startSpan(
            spanNames.kafkaProduce,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.destination.name': record.topic,
                'messaging.operation.type': 'send',
              },
            },
            ctx,
          )
        : undefined;
      try {
        // DESIGN.md: one trace follows a message; its W3C context travels in the Kafka headers.
        // A context without any span (see spansExported) has nothing to inject.
        const out =
          traced || parentSpan !== undefined
            ? { ...record, headers: injectTraceHeaders(produceSpan ? trace.setSpan(ctx, produceSpan) : ctx, { ...record.headers }) }
            : record;
        await sendAsync(out);
      } finally {
        produceSpan?.end();
      }
      if (done.kind === 'deadLetter') span?.setAttribute('zenthos.dlq.reason', done.reason);
      return outcomeOf(msg, done);
    } catch (err) {
      const e = toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true);
      span?.recordException(e);
      span?.setStatus({ code: SpanStatusCode.ERROR, message: e.code });
      throw e;
    } finally {
      span?.end();
      release();
    }
  };

  const submit = (msg: DeviceMessage, parent: Context | undefined, done: IngestCallback): void => {
    const p = parent ?? context.active();
    const untraced = !spansExported && trace.getSpan(p) === undefined;
    const run = (release: () => void): void => {
      if (untraced) runUntraced(msg, release, done);
      else
        handleTraced(msg, p, release).then(
          (outcome) => done(undefined, outcome),
          (err: unknown) => done(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true), undefined),
        );
    };
    const release = limiter.tryAcquire();
    if (release === undefined) void limiter.acquire().then(run);
    else run(release);
  };

  return {
    submit,
    handle: (msg, parent) =>
      new Promise((resolve, reject) => submit(msg, parent, (err, outcome) => (err ? reject(err) : resolve(outcome as IngestOutcome)))),
  };
}
