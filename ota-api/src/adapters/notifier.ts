import { randomUUID } from 'node:crypto';
import { SpanKind, context, trace, type Tracer } from '@opentelemetry/api';
import { isZenthosError, ZenthosError, type ErrorCode, type Logger } from '@zenthos/core';
import type { Queryable } from '@zenthos/db';
import type { OutgoingRecord, ProducerPort } from '@zenthos/kafka';
import { contracts, type OtaNotification, type Serde } from '@zenthos/schemas';
import { injectTraceHeaders, traced } from '@zenthos/telemetry';
import { planNotifications, type NotificationReason, type OtaNotice } from '../domain/notifications';
import type { LatestContext } from '../domain/release';
import type { DeviceFacts } from '../domain/rollout';
import type { ReleaseKind } from '../domain/versions';

/** A change of one (kind, model) in progress: its offers before the change are known. */
export interface PendingNotification {
  /**
   * Compares the offers after the change (same transaction, not yet committed) with those
   * before, and hands one notification per device whose offer moved to Kafka; resolves once
   * Kafka acknowledged them all. Call it just before COMMIT: when it throws, roll back.
   */
  send(reason: NotificationReason): Promise<number>;
}

/**
 * Emits release notifications for changes made in a Postgres transaction (DESIGN.md, MQTT:
 * platform → device `{root}/{model}/{id}/ota`, through Kafka and the bridge).
 */
export interface ChangeNotifier {
  /**
   * Inside the change's transaction, before changing anything: serialises changes of one
   * (kind, model) and snapshots what every device is offered.
   */
  prepare(db: Queryable, kind: ReleaseKind, deviceModel: string): Promise<PendingNotification>;
  close(): Promise<void>;
}

/** Does nothing: notifications are off (OTA_NOTIFICATIONS=false). */
export const createNoNotifier = (): ChangeNotifier => ({
  prepare: () => Promise.resolve({ send: () => Promise.resolve(0) }),
  close: () => Promise.resolve(),
});

/** Dependencies of {@link createKafkaNotifier}. */
export interface KafkaNotifierOptions {
  readonly producer: ProducerPort;
  readonly serde: Pick<Serde, 'encode'>;
  /** `zenthos.ota.notifications` (key = device id, value ota-notifications Avro). */
  readonly topic: string;
  /** The `latest` context as a transaction sees it (ReleaseService.loadContext). */
  readonly loadContext: (kind: ReleaseKind, deviceModel: string, db: Queryable) => Promise<LatestContext>;
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** Called with each batch handed to Kafka. */
  readonly onSent?: (kind: ReleaseKind, reason: NotificationReason, count: number) => void;
  readonly nowMs?: () => number;
  /** Records per produce call. */
  readonly chunkRecords?: number;
}

// Any constant works as long as every OTA API instance uses the same one; it only has to differ
// from the migrator's lock (0x7a656e01).
const OFFER_LOCK_CLASS = 0x7a656e02;

const UNAVAILABLE = new Set<ErrorCode>(['ZEN_KAFKA_PRODUCE_FAILED', 'ZEN_SCHEMA_REGISTRY_FAILED', 'ZEN_TIMEOUT']);

/**
 * Notifications through Kafka, produced inside the change's transaction: a change commits only
 * once Kafka holds its notifications, so none is lost to a crash between the two (a crash after
 * the produce but before COMMIT sends a notification for nothing, which costs a device one
 * `latest` request). A transaction-level advisory lock per (kind, model) orders the changes of
 * one model, so "before" of one is "after" of the previous and no move is missed or doubled.
 */
export function createKafkaNotifier(opts: KafkaNotifierOptions): ChangeNotifier {
  const { producer, serde, topic, tracer, logger } = opts;
  const nowMs = opts.nowMs ?? Date.now;
  const chunk = opts.chunkRecords ?? 1_000;
  const subject = `${topic}-value`;
  const schema = contracts['ota-notifications'].schema;

  const devicesOf = async (db: Queryable, deviceModel: string): Promise<DeviceFacts[]> => {
    // Revoked devices cannot connect, so nothing would deliver their notification.
    const { rows } = await db.query<{ id: string; model: string; tags: string[] }>(
      'SELECT id, model, tags FROM devices WHERE model = $1 AND revoked_at IS NULL ORDER BY id',
      [deviceModel],
    );
    return rows;
  };

  const toValue = (n: OtaNotice, timestamp: number): OtaNotification => ({
    message_id: randomUUID(),
    device_id: n.deviceId,
    device_model: n.deviceModel,
    kind: n.kind,
    version: n.version,
    reason: n.reason,
    rollout_id: n.rolloutId,
    timestamp,
  });

  return {
    async prepare(db, kind, deviceModel) {
      await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OFFER_LOCK_CLASS, `${kind}/${deviceModel}`]);
      const before = await opts.loadContext(kind, deviceModel, db);
      return {
        send: (reason) =>
          traced(
            tracer,
            'ota.notify',
            {
              kind: SpanKind.PRODUCER,
              attributes: {
                'messaging.system': 'kafka',
                'messaging.destination.name': topic,
                'zenthos.ota.kind': kind,
                'zenthos.device_model': deviceModel,
                'zenthos.ota.reason': reason,
              },
            },
            async (span) => {
              try {
                const after = await opts.loadContext(kind, deviceModel, db);
                const notices = planNotifications(kind, before, after, await devicesOf(db, deviceModel), reason);
                span.setAttribute('zenthos.ota.notifications', notices.length);
                const timestamp = Math.floor(nowMs() / 1000);
                // DESIGN.md: one trace follows a message; the bridge's publish joins this span's trace.
                const headers = injectTraceHeaders(trace.setSpan(context.active(), span), {});
                for (let i = 0; i < notices.length; i += chunk) {
                  const records: OutgoingRecord[] = [];
                  for (const n of notices.slice(i, i + chunk)) {
                    const value = toValue(n, timestamp);
                    records.push({
                      topic,
                      key: n.deviceId,
                      value: await serde.encode(subject, value, { schema }),
                      headers: { ...headers, message_id: value.message_id, device_id: n.deviceId },
                    });
                  }
                  await producer.send(records);
                  opts.onSent?.(kind, reason, records.length);
                }
                if (notices.length > 0) logger.info({ kind, deviceModel, reason, devices: notices.length }, 'release notifications sent');
                return notices.length;
              } catch (err) {
                // The change is rolled back and the operator told to try again (503) once Kafka or
                // the registry is back; anything else keeps its own code.
                const e =
                  isZenthosError(err) && !UNAVAILABLE.has(err.code)
                    ? err
                    : new ZenthosError(
                        'ZEN_DEPENDENCY_UNAVAILABLE',
                        `release notifications could not be handed to Kafka: ${(err as Error).message}`,
                        true,
                        { cause: err },
                      );
                throw e;
              }
            },
          ),
      };
    },
    close: () => producer.disconnect(),
  };
}
