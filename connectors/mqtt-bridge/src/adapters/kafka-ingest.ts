import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { isZenthosError, toZenthosError } from '@zenthos/core';
import type { OutgoingRecord, ProducerPort } from '@zenthos/kafka';
import type { Serde } from '@zenthos/schemas';
import { injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import type { InFlightLimiter } from '../domain/in-flight';
import { deadLetterPlan, planIngest, type DeadLetterPlan, type DeviceMessage, type IngestPlan, type IngestRules } from '../domain/ingest';
import type { InvalidReason } from '../errors';
import type { BridgeMetrics } from './metrics';

/** What became of a message once Kafka acknowledged it. */
export type IngestOutcome =
  { readonly kind: 'ingested'; readonly topic: string } | { readonly kind: 'deadLettered'; readonly reason: InvalidReason };

/** Hands one device message to Kafka; resolves only once Kafka has acknowledged the record. */
export interface IngestPipeline {
  /**
   * Validates, encodes and produces the message (or its DLQ record). Rejects with a
   * retriable ZEN_KAFKA_PRODUCE_FAILED or ZEN_SCHEMA_REGISTRY_FAILED when Kafka or the registry
   * cannot take it: the caller must then not acknowledge, so the device sends it again.
   */
  handle(msg: DeviceMessage, parent?: Context): Promise<IngestOutcome>;
}

/** Dependencies of {@link createIngestPipeline}. */
export interface IngestPipelineDeps {
  readonly producer: ProducerPort;
  readonly serde: Pick<Serde, 'encode'>;
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

/**
 * The publish pipeline shared by the in-process broker and external-broker mode:
 * `middleware.handle` span → plan (ACL already passed) → Avro encode with the registry →
 * `kafka.produce` span → resolve on the broker's acknowledgement (idempotent, acks=all).
 * At most `limiter` messages are in flight; the rest wait, which stops socket reads upstream.
 */
export function createIngestPipeline(deps: IngestPipelineDeps): IngestPipeline {
  const { producer, serde, rules, limiter, metrics, tracer } = deps;
  const now = deps.now ?? Date.now;
  const spansExported = deps.spansExported ?? true;

  const toRecord = async (msg: DeviceMessage, plan: IngestPlan): Promise<{ record: OutgoingRecord; plan: IngestPlan }> => {
    if (plan.kind === 'deadLetter') return { record: { topic: plan.topic, key: plan.key, value: plan.value, headers: plan.headers }, plan };
    try {
      const value = await serde.encode(plan.subject, plan.record, { schema: plan.schema });
      return { record: { topic: plan.topic, key: plan.key, value, headers: plan.headers }, plan };
    } catch (err) {
      // The contract check already passed, so this is a value the Avro type still refuses.
      if (!isZenthosError(err, 'ZEN_PAYLOAD_INVALID')) throw err;
      const dlq = deadLetterPlan(msg, plan.messageKind, 'schema_mismatch', err.message, rules.topics, plan.record.message_id);
      return toRecord(msg, dlq);
    }
  };

  const outcomeOf = (msg: DeviceMessage, done: IngestPlan): IngestOutcome => {
    if (done.kind === 'deadLetter') {
      metrics.invalid({ kind: done.messageKind ?? 'unknown', reason: done.reason });
      return { kind: 'deadLettered', reason: done.reason };
    }
    metrics.ingested({ kind: done.messageKind, device_model: msg.identity.model }, now() - msg.receivedAtMs);
    return { kind: 'ingested', topic: done.topic };
  };

  const sendDeadLetter = (plan: DeadLetterPlan): Promise<IngestPlan> =>
    producer.send([{ topic: plan.topic, key: plan.key, value: plan.value, headers: plan.headers }]).then(() => plan);

  /**
   * A message with no span and nothing to inject (see spansExported): the steps of `handleTraced`
   * chained on the promises that exist anyway (encode, send), without the extra promise and
   * microtask each async function and await adds per message.
   */
  const handleUntraced = (msg: DeviceMessage, release: () => void): Promise<IngestOutcome> => {
    let sent: Promise<IngestPlan>;
    try {
      const plan = planIngest(msg, rules);
      sent =
        plan.kind === 'deadLetter'
          ? sendDeadLetter(plan)
          : serde.encode(plan.subject, plan.record, { schema: plan.schema }).then(
              (value) => producer.send([{ topic: plan.topic, key: plan.key, value, headers: plan.headers }]).then(() => plan),
              (err: unknown) => {
                // The contract check already passed, so this is a value the Avro type still refuses.
                if (!isZenthosError(err, 'ZEN_PAYLOAD_INVALID')) throw err;
                return sendDeadLetter(
                  deadLetterPlan(msg, plan.messageKind, 'schema_mismatch', err.message, rules.topics, plan.record.message_id),
                );
              },
            );
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.then(
      (done) => {
        release();
        return outcomeOf(msg, done);
      },
      (err: unknown) => {
        release();
        throw toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true);
      },
    );
  };

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
      const record = await (span ? context.with(ctx, () => toRecord(msg, plan)) : toRecord(msg, plan));
      const produceSpan = span
        ? tracer.startSpan(
            spanNames.kafkaProduce,
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.destination.name': record.record.topic,
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
            ? {
                ...record.record,
                headers: injectTraceHeaders(produceSpan ? trace.setSpan(ctx, produceSpan) : ctx, { ...record.record.headers }),
              }
            : record.record;
        await producer.send([out]);
      } finally {
        produceSpan?.end();
      }
      const done = record.plan;
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

  return {
    handle(msg, parent = context.active()) {
      const untraced = !spansExported && trace.getSpan(parent) === undefined;
      const release = limiter.tryAcquire();
      if (release === undefined) {
        return limiter.acquire().then((r) => (untraced ? handleUntraced(msg, r) : handleTraced(msg, parent, r)));
      }
      return untraced ? handleUntraced(msg, release) : handleTraced(msg, parent, release);
    },
  };
}
