import { context, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { toZenthosError, type ZenthosError } from '@zenthos/core';
import type { OutgoingRecord, ProducerPort } from '@zenthos/kafka';
import type { Serde } from '@zenthos/schemas';
import { injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import type { InFlightLimiter } from '../domain/in-flight';
import { avroTypeOf } from '../domain/payload';
import { createFrameWriter } from '../domain/wire';
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

/**
 * The producer the pipeline writes with: the port, plus createRdkafkaProducer's promise-free
 * `produce` when present, which copies a record's bytes before it returns (node-rdkafka
 * produces with RK_MSG_COPY), so the pipeline can hand it a view of its reused encode buffer.
 */
export type IngestProducer = ProducerPort & {
  readonly produce?: (record: OutgoingRecord, done: (err: ZenthosError | undefined) => void) => void;
};

/** Dependencies of {@link createIngestPipeline}. */
export interface IngestPipelineDeps {
  readonly producer: IngestProducer;
  /** Registers the contracts under their subjects and gives their ids, once per subject. */
  readonly serde: Pick<Serde, 'schemaId'>;
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
 * `middleware.handle` span → plan (ACL already passed) → Avro encode (the contract's schema id
 * from the registry once per subject) → `kafka.produce` span → done on the broker's
 * acknowledgement (idempotent, acks=all). At most `limiter` messages are in flight; the rest
 * wait, which stops socket reads upstream.
 */
export function createIngestPipeline(deps: IngestPipelineDeps): IngestPipeline {
  const { producer, serde, rules, limiter, metrics, tracer } = deps;
  const now = deps.now ?? Date.now;
  const spansExported = deps.spansExported ?? true;
  const produce = producer.produce;
  // Every record is encoded into this one buffer; a producer that copies the bytes at once
  // takes a view of it, any other one a copy (measured: the allocation and copy of each
  // record were a tenth of the encode cost).
  const frames = createFrameWriter();
  const schemaIds = new Map<string, number>();
  const loadSchemaId = (plan: ProducePlan): Promise<void> =>
    serde.schemaId(plan.subject, plan.schema).then((id) => {
      schemaIds.set(plan.subject, id);
    });

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
   * The Kafka record of a plan whose schema id is known, and the plan it carries out: a value
   * the Avro type still refuses (the contract check already passed) goes to the DLQ instead.
   * Encoded last before the send: the value may be a view of the shared buffer.
   */
  const recordOf = (msg: DeviceMessage, plan: IngestPlan): { record: OutgoingRecord; plan: IngestPlan } => {
    if (plan.kind === 'deadLetter') return { record: deadLetterRecord(plan), plan };
    let value: Buffer;
    try {
      const framed = frames.write(avroTypeOf(plan.messageKind), schemaIds.get(plan.subject) as number, plan.record);
      value = produce ? framed : Buffer.from(framed);
    } catch (err) {
      const dlq = deadLetterPlan(
        msg,
        plan.messageKind,
        'schema_mismatch',
        `value does not match the schema of ${plan.subject}: ${(err as Error).message}`,
        rules.topics,
        plan.record.message_id,
      );
      return { record: deadLetterRecord(dlq), plan: dlq };
    }
    return { record: { topic: plan.topic, key: plan.key, value, headers: plan.headers }, plan };
  };

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
    let plan: IngestPlan;
    let out: { record: OutgoingRecord; plan: IngestPlan };
    try {
      plan = planIngest(msg, rules);
      if (plan.kind === 'produce' && !schemaIds.has(plan.subject)) {
        // The first message of a subject waits for the registry; the rest encode at once.
        loadSchemaId(plan).then(
          () => runUntraced(msg, release, done),
          (err: unknown) => {
            release();
            done(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true), undefined);
          },
        );
        return;
      }
      out = recordOf(msg, plan);
    } catch (err) {
      queueMicrotask(() => {
        release();
        done(toZenthosError(err, 'ZEN_KAFKA_PRODUCE_FAILED', true), undefined);
      });
      return;
    }
    sendRecord(out.record, (err) => {
      release();
      if (err) done(err, undefined);
      else done(undefined, outcomeOf(msg, out.plan));
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
      if (plan.kind === 'produce' && !schemaIds.has(plan.subject)) {
        await (span ? context.with(ctx, () => loadSchemaId(plan)) : loadSchemaId(plan));
      }
      const { record, plan: done } = recordOf(msg, plan);
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
