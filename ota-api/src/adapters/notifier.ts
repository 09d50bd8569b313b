import { randomUUID } from 'node:crypto';
import { SpanKind, context, trace, type Tracer } from '@opentelemetry/api';
import { isZenthosError, withTimeout, ZenthosError, type ErrorCode, type Logger } from '@zenthos/core';
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
   * (kind, model) and snapshots what every device is offered. A change that edits devices
   * themselves (their tags) names them in `deviceIds`: only they are considered, judged by
   * their facts before and after the change. Changes taking several of these locks take them
   * in the order of `offerLockOrder` (domain/notifications), so that two of them never wait on each other.
   */
  prepare(db: Queryable, kind: ReleaseKind, deviceModel: string, deviceIds?: readonly string[]): Promise<PendingNotification>;
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
  /**
   * How long a change waits for Kafka to acknowledge its notifications before it fails with
   * ZEN_DEPENDENCY_UNAVAILABLE (OTA_NOTIFICATIONS_TIMEOUT_MS); 10 s by default.
   */
  readonly ackTimeoutMs?: number;
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
  const ackTimeoutMs = opts.ackTimeoutMs ?? 10_000;
  const subject = `${topic}-value`;
  const schema = contracts['ota-notifications'].schema;

  const devicesOf = async (db: Queryable, deviceModel: string, only: readonly string[] | undefined): Promise<DeviceFacts[]> => {
    // Revoked devices cannot connect, so nothing would deliver their notification.
    const { rows } = await db.query<{ id: string; model: string; tags: string[] }>(
      only
        ? 'SELECT id, model, tags FROM devices WHERE model = $1 AND revoked_at IS NULL AND id = ANY($2::text[]) ORDER BY id'
        : 'SELECT id, model, tags FROM devices WHERE model = $1 AND revoked_at IS NULL ORDER BY id',
      only ? [deviceModel, only] : [deviceModel],
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
    async prepare(db, kind, deviceModel, deviceIds) {
      await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [OFFER_LOCK_CLASS, `${kind}/${deviceModel}`]);
      const before = await opts.loadContext(kind, deviceModel, db);
      // The devices the change edits, as they were: their offers before are judged by these facts.
      const factsBefore = deviceIds ? new Map((await devicesOf(db, deviceModel, deviceIds)).map((d) => [d.id, d])) : undefined;
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
                const devices = await devicesOf(db, deviceModel, deviceIds);
                const notices = planNotifications(kind, before, after, devices, reason, factsBefore);
                span.setAttribute('zenthos.ota.notifications', notices.length);
                const timestamp = Math.floor(nowMs() / 1000);
                // DESIGN.md: one trace follows a message; the bridge's publish joins this span's trace.
                const headers = injectTraceHeaders(trace.setSpan(context.active(), span), {});
                // One deadline for all chunks. librdkafka's own message.timeout.ms does not fire
                // while the broker is unreachable (measured with librdkafka 2.12: a record queued
                // for a disconnected broker waited with no delivery report for minutes), so the
                // wait is bounded here; such a record may still reach Kafka once it is back,
                // which is a notification for nothing, never a missing one.
                const deadline = performance.now() + ackTimeoutMs;
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
                  const leftMs = Math.max(1, Math.ceil(deadline - performance.now()));
                  await withTimeout(producer.send(records), leftMs, `Kafka acknowledging ${records.length} release notifications`);
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
