import type { ConsumeMessage } from 'amqplib';
import { trace } from '@opentelemetry/api';
import { backoffDelayMs, sleep, toZenthosError, type Logger } from '@zenthos/core';
import { extractTraceContext, injectTraceHeaders, spanNames } from '@zenthos/telemetry';
import { alertEnvelope, evaluateRules, type AlertRule } from '../domain/alert-rules';
import { parseEnvelope, routingSafe } from '../domain/envelope';
import type { RabbitTopology } from '../domain/topology';
import { declareTopology, openAmqpSession, publishConfirmed, type AmqpSession } from './amqp';
import type { AlertsStore } from './alerts-store';

/** What the alerts worker records. */
export interface AlertsInstruments {
  /** spec §10 `zenthos.worker.processing_time_ms`, labels queue and outcome. */
  readonly processingTimeMs: { record(v: number, attributes?: Record<string, string>): void };
  readonly alertsFired: { add(n: number, attributes?: Record<string, string>): void };
}

/** What the alerts worker needs. */
export interface AlertsWorkerOptions {
  readonly amqpUrl: string;
  readonly topology: RabbitTopology;
  readonly store: AlertsStore;
  readonly prefetch: number;
  readonly rulesRefreshMs: number;
  readonly maxBackoffMs: number;
  readonly instruments: AlertsInstruments;
  readonly logger: Logger;
}

/** A running alerts worker. */
export interface AlertsWorker {
  stop(): Promise<void>;
  /** False while RabbitMQ is unreachable. */
  healthy(): boolean;
}

/** Deliveries so far of a quorum-queue message (RabbitMQ sets x-delivery-count on redeliveries). */
const deliveryCount = (msg: ConsumeMessage): number => Number(msg.properties.headers?.['x-delivery-count'] ?? 0);

/**
 * Consumes `sensor_data`, evaluates the threshold rules of each reading's device model, writes
 * the alerts table and publishes alert envelopes to the `alerts` queue, then acknowledges
 * (spec §11: ack only after the database write and the side effects). A message that cannot
 * be parsed is rejected at once; one whose handling keeps failing is requeued until the
 * queue's x-delivery-limit dead-letters it to `dlx.sensor_data`.
 */
export function startAlertsWorker(opts: AlertsWorkerOptions): AlertsWorker {
  const { logger, store, topology, instruments } = opts;
  const tracer = trace.getTracer('@zenthos/rabbitmq-bridge');
  const queue = topology.queues.sensorData.name;
  let session: AmqpSession | undefined;
  let stopping = false;
  let healthy = false;
  let rules: { at: number; list: Promise<AlertRule[]> } | undefined;
  const abort = new AbortController();

  const currentRules = (): Promise<AlertRule[]> => {
    if (!rules || Date.now() - rules.at > opts.rulesRefreshMs) {
      const list = store.listRules();
      rules = { at: Date.now(), list };
      list.catch(() => (rules = undefined));
    }
    return rules.list;
  };

  // Readings of one device are handled one after the other, in delivery order: two readings
  // of one breach window handled at once would both see the alert unpublished and publish it
  // twice. Devices are independent, so different devices still run in parallel (up to prefetch).
  const chains = new Map<string, Promise<void>>();
  const inOrder = (key: string, fn: () => Promise<void>): void => {
    const next = (chains.get(key) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) => logger.error({ err: String(err) }, 'handler failed'));
    chains.set(key, next);
    void next.then(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  };
  const deviceOf = (msg: ConsumeMessage): string => {
    try {
      return String((JSON.parse(msg.content.toString('utf8')) as { device_id?: unknown }).device_id ?? '');
    } catch {
      return '';
    }
  };

  async function handle(s: AmqpSession, msg: ConsumeMessage): Promise<void> {
    const started = performance.now();
    const parent = extractTraceContext(msg.properties.headers as Record<string, string> | undefined);
    let outcome = 'ack';
    await tracer.startActiveSpan(spanNames.workerProcess, { attributes: { 'messaging.destination.name': queue } }, parent, async (span) => {
      try {
        const reading = parseEnvelope(msg.content);
        for (const breach of evaluateRules(await currentRules(), reading)) {
          const { mustPublish } = await store.recordAlert(breach, reading);
          if (!mustPublish) continue;
          const alert = alertEnvelope(breach, reading);
          const { confirmed } = publishConfirmed(
            s.channel,
            topology.exchange,
            `alert.${routingSafe(String(reading.payload.device_model ?? 'unknown'))}`,
            Buffer.from(JSON.stringify(alert)),
            {
              persistent: true,
              contentType: 'application/json',
              messageId: alert.id,
              type: 'alert',
              timestamp: alert.timestamp,
              headers: injectTraceHeaders(parent),
            },
          );
          await confirmed;
          await store.markPublished(alert.id);
          instruments.alertsFired.add(1, { severity: breach.rule.severity });
          logger.info({ alert_id: alert.id, device_id: reading.device_id, sensor: breach.rule.sensor, value: breach.value }, 'alert fired');
        }
        s.channel.ack(msg);
      } catch (err) {
        const e = toZenthosError(err);
        span.recordException(e);
        // Only a message that can never be read is rejected at once; anything else may be
        // transient (database, broker) and is retried up to the delivery limit.
        if (e.code === 'ZEN_PAYLOAD_INVALID') {
          outcome = 'dead_letter';
          logger.warn({ code: e.code, err: e.message }, 'message rejected to the dead-letter exchange');
          s.channel.nack(msg, false, false);
        } else {
          outcome = 'requeue';
          // Back off a little per delivery, so a short outage does not burn the delivery limit.
          await sleep(Math.min(5_000, 100 * 2 ** deliveryCount(msg)));
          logger.warn({ code: e.code, err: e.message, deliveries: deliveryCount(msg) + 1 }, 'message requeued');
          s.channel.nack(msg, false, true);
        }
      } finally {
        span.end();
        instruments.processingTimeMs.record(performance.now() - started, { queue, outcome });
      }
    });
  }

  async function run(): Promise<void> {
    for (let attempt = 1; !stopping; attempt++) {
      try {
        const s = await openAmqpSession(opts.amqpUrl, 'zenthos-alerts');
        session = s;
        await declareTopology(s.channel, topology);
        await s.channel.prefetch(opts.prefetch);
        await s.channel.consume(queue, (msg) => {
          if (msg) inOrder(deviceOf(msg), () => handle(s, msg));
        });
        healthy = true;
        attempt = 0;
        logger.info({ queue }, 'alerts worker consuming');
        const err = await s.closed;
        healthy = false;
        if (!stopping) logger.warn({ err: err?.message }, 'rabbitmq connection lost; reconnecting');
      } catch (err) {
        healthy = false;
        const delayMs = backoffDelayMs(Math.min(attempt, 20), { initialDelayMs: 100, maxDelayMs: opts.maxBackoffMs });
        logger.warn({ err: (err as Error).message, delayMs }, 'rabbitmq unavailable; retrying');
        await sleep(delayMs, abort.signal).catch(() => undefined);
      }
    }
  }

  const done = run();
  return {
    healthy: () => healthy,
    async stop() {
      stopping = true;
      abort.abort();
      await session?.close();
      await done.catch(() => undefined);
    },
  };
}
