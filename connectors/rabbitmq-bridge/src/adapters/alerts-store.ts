import { ZenthosError } from '@zenthos/core';
import type { Queryable } from '@zenthos/db';
import type { AlertRule, Breach, NewAlertRule } from '../domain/alert-rules';
import type { Envelope } from '../domain/envelope';

/** Rules and fired alerts in Postgres (migration 0110_alerts.sql). */
export interface AlertsStore {
  listRules(): Promise<AlertRule[]>;
  /** Adds a rule; ZEN_CONFLICT when the same rule exists. */
  addRule(rule: NewAlertRule): Promise<AlertRule>;
  /** Removes a rule and its alerts; false when there was none. */
  removeRule(id: number): Promise<boolean>;
  /**
   * Records the alert of a breach once per rule, device and window; tells whether its envelope
   * still has to be published (a new alert, or one written before a crash and never confirmed).
   */
  recordAlert(breach: Breach, reading: Envelope): Promise<{ mustPublish: boolean }>;
  markPublished(alertId: string): Promise<void>;
}

interface RuleRow {
  id: string;
  device_model: string;
  sensor: string;
  op: AlertRule['op'];
  threshold: number;
  window_s: number;
  severity: AlertRule['severity'];
}

const toRule = (r: RuleRow): AlertRule => ({
  id: Number(r.id),
  deviceModel: r.device_model,
  sensor: r.sensor,
  op: r.op,
  threshold: r.threshold,
  windowS: r.window_s,
  severity: r.severity,
});

const retriable = (err: unknown): ZenthosError =>
  err instanceof ZenthosError ? err : new ZenthosError('ZEN_DB_WRITE_FAILED', `postgres: ${(err as Error).message}`, true, { cause: err });

/** The store over a pg pool or client. */
export function createAlertsStore(db: Queryable): AlertsStore {
  return {
    async listRules() {
      try {
        const { rows } = await db.query<RuleRow>(
          'SELECT id, device_model, sensor, op, threshold, window_s, severity FROM alert_rules ORDER BY id',
        );
        return rows.map(toRule);
      } catch (err) {
        throw retriable(err);
      }
    },
    async addRule(rule) {
      const { rows } = await db.query<RuleRow>(
        `INSERT INTO alert_rules (device_model, sensor, op, threshold, window_s, severity) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (device_model, sensor, op, threshold) DO NOTHING
         RETURNING id, device_model, sensor, op, threshold, window_s, severity`,
        [rule.deviceModel, rule.sensor, rule.op, rule.threshold, rule.windowS, rule.severity],
      );
      if (!rows[0])
        throw new ZenthosError('ZEN_CONFLICT', `a rule ${rule.deviceModel} ${rule.sensor} ${rule.op} ${rule.threshold} exists already`);
      return toRule(rows[0]);
    },
    async removeRule(id) {
      const res = await db.query('DELETE FROM alert_rules WHERE id = $1', [id]);
      return (res.rowCount ?? 0) > 0;
    },
    async recordAlert(breach, reading) {
      try {
        const { rule } = breach;
        const inserted = await db.query(
          `INSERT INTO alerts (id, rule_id, device_id, device_model, sensor, op, threshold, value, severity, message_id, time, window_start)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, to_timestamp($11), to_timestamp($12))
           ON CONFLICT DO NOTHING`,
          [
            breach.alertId,
            rule.id,
            reading.device_id,
            String(reading.payload.device_model ?? ''),
            rule.sensor,
            rule.op,
            rule.threshold,
            breach.value,
            rule.severity,
            reading.id,
            reading.timestamp,
            breach.windowStartS,
          ],
        );
        if ((inserted.rowCount ?? 0) > 0) return { mustPublish: true };
        const { rows } = await db.query<{ published: boolean }>('SELECT published_at IS NOT NULL AS published FROM alerts WHERE id = $1', [
          breach.alertId,
        ]);
        return { mustPublish: rows[0]?.published === false };
      } catch (err) {
        throw retriable(err);
      }
    },
    async markPublished(alertId) {
      try {
        await db.query('UPDATE alerts SET published_at = now() WHERE id = $1 AND published_at IS NULL', [alertId]);
      } catch (err) {
        throw retriable(err);
      }
    },
  };
}
