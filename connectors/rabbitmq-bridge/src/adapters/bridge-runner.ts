import { trace } from '@opentelemetry/api';
import { backoffDelayMs, sleep, toZenthosError, type Logger } from '@zenthos/core';
import { collectBatch, nextPosition, type CommitPosition, type ConsumerPort, type IncomingRecord } from '@zenthos/kafka';
import type { Serde } from '@zenthos/schemas';
import { batchTraceContext, extractTraceContext, injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import { kindOfEnrichedTopic, routingKeyFor, toEnvelope, type EnrichedBase } from '../domain/envelope';
import type { RabbitTopology } from '../domain/topology';
import { declareTopology, openAmqpSession, publishConfirmed, type AmqpSession } from './amqp';

/** Counters and histograms the bridge records (OpenTelemetry instruments or fakes). */
export interface BridgeInstruments {
  readonly published: { add(n: number, attributes?: Record<string, string>): void };
  readonly skipped: { add(n: number, attributes?: Record<string, string>): void };
  readonly reconnects: { add(n: number): void };
  readonly confirmLatencyMs: { record(v: number): void };
}

/** What the bridge runner needs. */
export interface BridgeRunnerOptions {
  readonly consumer: ConsumerPort;
  readonly serde: Pick<Serde, 'decode'>;
  readonly amqpUrl: string;
  readonly topology: RabbitTopology;
  readonly topicPrefix: string;
  readonly batchSize: number;
  readonly lingerMs: number;
  readonly maxBackoffMs: number;
  readonly instruments: BridgeInstruments;
  readonly logger: Logger;
}

/** A running bridge loop. */
export interface BridgeRunner {
  readonly done: Promise<void>;
  /**
   * Resolves once RabbitMQ's exchange and queues are declared. Consumption starts only then:
   * a message published to the exchange before its queues exist would be confirmed and lost.
   */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
  /** False while RabbitMQ (or the registry) is unavailable and consumption is paused. */
  healthy(): boolean;
}

interface Outgoing {
  readonly routingKey: string;
  readonly body: Buffer;
  readonly id: string;
  readonly type: string;
  readonly timestampS: number;
  readonly headers: Record<string, string>;
}

/** Highest offset + 1 per partition. */
const positionsOf = (records: readonly IncomingRecord[]): CommitPosition[] => {
  const last = new Map<string, IncomingRecord>();
  for (const r of records) {
    const k = `${r.topic}\u0000${r.partition}`;
    const seen = last.get(k);
    if (!seen || BigInt(r.offset) > BigInt(seen.offset)) last.set(k, r);
  }
  return [...last.values()].map(nextPosition);
};

/**
 * Kafka → RabbitMQ with at-least-once delivery: a batch's envelopes are published on a confirm
 * channel, and the Kafka offsets are committed only once RabbitMQ has confirmed every one of
 * them (publisher confirms: the broker owns the message, in a quorum queue on a majority).
 * When the connection drops (RabbitMQ restarting), the whole unconfirmed batch is published
 * again on a new connection; envelopes carry the device's message_id as `id` (and AMQP
 * message-id), so consumers drop the repeats.
 */
export function createBridgeRunner(opts: BridgeRunnerOptions): BridgeRunner {
  const { consumer, logger, instruments } = opts;
  const tracer = trace.getTracer('@zenthos/rabbitmq-bridge');
  let session: AmqpSession | undefined;
  let stopping = false;
  let healthy = true;
  const abort = new AbortController();

  let sessions = 0;
  const ensureSession = async (): Promise<AmqpSession> => {
    if (session) return session;
    const s = await openAmqpSession(opts.amqpUrl, 'zenthos-rabbitmq-bridge');
    if (sessions++ > 0) instruments.reconnects.add(1);
    try {
      await declareTopology(s.channel, opts.topology);
    } catch (err) {
      await s.close();
      throw err;
    }
    session = s;
    void s.closed.then((err) => {
      if (session === s) session = undefined;
      if (!stopping) logger.warn({ err: err?.message }, 'rabbitmq connection lost');
    });
    return s;
  };

  async function untilDone<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        const result = await fn();
        if (!healthy) logger.info({ what, attempts: attempt }, 'bridge resumed');
        healthy = true;
        return result;
      } catch (err) {
        const e = toZenthosError(err);
        if (!e.retriable) throw e;
        healthy = false;
        const delayMs = backoffDelayMs(Math.min(attempt, 20), { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs });
        logger.warn({ what, attempt, delayMs, code: e.code, err: e.message }, 'bridge paused: dependency unavailable, retrying');
        await sleep(delayMs, abort.signal).catch(() => undefined);
      }
    }
    return undefined;
  }

  async function toOutgoing(records: readonly IncomingRecord[]): Promise<Outgoing[]> {
    const out: Outgoing[] = [];
    for (const r of records) {
      const kind = kindOfEnrichedTopic(opts.topicPrefix, r.topic);
      if (!kind || !r.value) {
        instruments.skipped.add(1, { reason: 'not_enriched' });
        continue;
      }
      let value: EnrichedBase & Record<string, unknown>;
      try {
        value = (await opts.serde.decode<EnrichedBase & Record<string, unknown>>(r.value)).value;
      } catch (err) {
        const e = toZenthosError(err, 'ZEN_DECODE_FAILED');
        if (e.retriable) throw e;
        // The sink dead-letters undecodable records; the bridge counts and skips them.
        instruments.skipped.add(1, { reason: e.code });
        logger.warn({ topic: r.topic, partition: r.partition, offset: r.offset, code: e.code }, 'record skipped');
        continue;
      }
      const envelope = toEnvelope(kind, value);
      // W3C trace context travels in the AMQP headers; without an SDK the producer's headers are
      // passed through as they came.
      const headers: Record<string, string> = {};
      for (const h of ['traceparent', 'tracestate'] as const) if (r.headers[h]) headers[h] = r.headers[h].toString();
      injectTraceHeaders(extractTraceContext(r.headers), headers);
      out.push({
        routingKey: routingKeyFor(kind, value.device_model),
        body: Buffer.from(JSON.stringify(envelope)),
        id: envelope.id,
        type: envelope.type,
        timestampS: envelope.timestamp,
        headers,
      });
    }
    return out;
  }

  async function publishAll(messages: readonly Outgoing[]): Promise<void> {
    const s = await ensureSession();
    const started = performance.now();
    const confirms: Promise<void>[] = [];
    for (const m of messages) {
      const { confirmed, drained } = publishConfirmed(s.channel, opts.topology.exchange, m.routingKey, m.body, {
        persistent: true,
        contentType: 'application/json',
        messageId: m.id,
        type: m.type,
        timestamp: m.timestampS,
        headers: m.headers,
      });
      confirms.push(confirmed);
      await drained;
    }
    // A lost connection fails the pending confirms (amqplib rejects them on channel close).
    const lost = s.closed.then((err) => {
      throw err ?? new Error('connection closed');
    });
    await Promise.race([Promise.all(confirms), lost]).catch(async (err: unknown) => {
      if (session === s) session = undefined;
      await s.close();
      throw toZenthosError(err, 'ZEN_RABBIT_PUBLISH_FAILED', true);
    });
    instruments.confirmLatencyMs.record(performance.now() - started);
    for (const m of messages) instruments.published.add(1, { routing_key: m.routingKey });
  }

  async function handleBatch(records: IncomingRecord[]): Promise<void> {
    const messages = await untilDone('decode', () => toOutgoing(records));
    if (!messages) return;
    // A child of the batch's first traced message (its trace then reaches RabbitMQ), linked to the others.
    const traceCtx = batchTraceContext(messages.map((m) => m.headers));
    const ok = await untilDone('rabbit.publish', () =>
      tracer.startActiveSpan(
        spanNames.rabbitPublish,
        { links: traceCtx.links, attributes: { 'messaging.system': 'rabbitmq', 'messaging.batch.message_count': messages.length } },
        traceCtx.parent,
        async (span) => {
          try {
            await publishAll(messages);
            return true;
          } catch (err) {
            span.recordException(err as Error);
            throw err;
          } finally {
            span.end();
          }
        },
      ),
    );
    if (!ok) return;
    try {
      await consumer.commit(positionsOf(records));
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'offset commit failed; the batch will be published again');
    }
  }

  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  async function loop(): Promise<void> {
    await untilDone('rabbit.connect', ensureSession);
    markReady();
    while (!stopping) {
      const batch = await collectBatch(consumer, {
        maxRecords: opts.batchSize,
        lingerMs: opts.lingerMs,
        stopped: () => stopping,
        onPollError: (err) => logger.warn({ err: (err as Error).message }, 'poll failed'),
      });
      // An unexpected error must not end the loop silently: the batch is tried again (every
      // step is idempotent) and /ready reports the problem meanwhile.
      for (let attempt = 1; batch.length > 0 && !stopping; attempt++) {
        try {
          await handleBatch(batch);
          break;
        } catch (err) {
          healthy = false;
          const delayMs = backoffDelayMs(Math.min(attempt, 20), { initialDelayMs: 500, maxDelayMs: opts.maxBackoffMs });
          logger.error({ attempt, delayMs, err: (err as Error).message }, 'batch failed; trying it again');
          await sleep(delayMs, abort.signal).catch(() => undefined);
        }
      }
    }
  }

  const done = loop();
  return {
    done,
    ready,
    healthy: () => healthy,
    async stop() {
      stopping = true;
      abort.abort();
      await done.catch(() => undefined);
      await session?.close();
    },
  };
}
