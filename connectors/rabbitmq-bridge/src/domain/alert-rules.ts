import { createHash } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import type { Envelope } from './envelope';

/** Comparison operators of a threshold rule. */
export const alertOps = ['>', '>=', '<', '<='] as const;
/** One of {@link alertOps}. */
export type AlertOp = (typeof alertOps)[number];
/** Alert severities. */
export const alertSeverities = ['info', 'warning', 'critical'] as const;
/** One of {@link alertSeverities}. */
export type AlertSeverity = (typeof alertSeverities)[number];

/** A rule as stored in `alert_rules`. */
export interface AlertRule {
  readonly id: number;
  /** Device model the rule applies to, or `*` for every model. */
  readonly deviceModel: string;
  readonly sensor: string;
  readonly op: AlertOp;
  readonly threshold: number;
  /** At most one alert per rule, device and window of this many seconds. */
  readonly windowS: number;
  readonly severity: AlertSeverity;
}

/** A rule before it has an id. */
export type NewAlertRule = Omit<AlertRule, 'id'>;

/** A reading that breaks a rule, and the window it falls in. */
export interface Breach {
  readonly rule: AlertRule;
  readonly value: number;
  /** Start of the breach window, epoch seconds: floor(timestamp / window) * window. */
  readonly windowStartS: number;
  /** Stable id of the alert of this rule, device and window: a redelivered reading maps to it again. */
  readonly alertId: string;
}

const compare: Readonly<Record<AlertOp, (v: number, t: number) => boolean>> = {
  '>': (v, t) => v > t,
  '>=': (v, t) => v >= t,
  '<': (v, t) => v < t,
  '<=': (v, t) => v <= t,
};

/** Parses a window such as `300`, `90s`, `5m`, `1h` into seconds. */
export function parseWindowS(text: string): number {
  const m = /^(\d+)\s*([smh]?)$/.exec(text.trim());
  const n = m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3_600 } as const)[m[2] as '' | 's' | 'm' | 'h'] : NaN;
  if (!Number.isInteger(n) || n <= 0)
    throw new ZenthosError('ZEN_ALERT_RULE_INVALID', `window "${text}" is not a duration such as 300, 90s, 5m or 1h`);
  return n;
}

/** Checks a rule given on the command line; ZEN_ALERT_RULE_INVALID names the bad field. */
export function parseRule(input: {
  model: string;
  sensor: string;
  op: string;
  threshold: string;
  window?: string;
  severity?: string;
}): NewAlertRule {
  const bad = (what: string): never => {
    throw new ZenthosError('ZEN_ALERT_RULE_INVALID', what);
  };
  if (!/^(\*|[A-Za-z0-9_.-]{1,64})$/.test(input.model)) bad(`model "${input.model}" must be a device model or *`);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(input.sensor)) bad(`sensor "${input.sensor}" is not a sensor name`);
  if (!(alertOps as readonly string[]).includes(input.op)) bad(`op "${input.op}" must be one of ${alertOps.join(' ')}`);
  const threshold = Number(input.threshold);
  if (input.threshold.trim() === '' || !Number.isFinite(threshold)) bad(`threshold "${input.threshold}" is not a number`);
  const severity = input.severity ?? 'warning';
  if (!(alertSeverities as readonly string[]).includes(severity))
    bad(`severity "${severity}" must be one of ${alertSeverities.join(', ')}`);
  return {
    deviceModel: input.model,
    sensor: input.sensor,
    op: input.op as AlertOp,
    threshold,
    windowS: parseWindowS(input.window ?? '300'),
    severity: severity as AlertSeverity,
  };
}

/** A UUID (version 8, name-based) from the parts: the same parts always give the same id. */
export function alertIdOf(ruleId: number, deviceId: string, windowStartS: number): string {
  const h = createHash('sha256').update(`${ruleId}\u0000${deviceId}\u0000${windowStartS}`).digest('hex');
  const variant = ((parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * The rules a telemetry envelope breaks. Only telemetry carries sensor readings; other types and
 * sensors a device did not report break nothing.
 */
export function evaluateRules(rules: readonly AlertRule[], envelope: Envelope): Breach[] {
  if (envelope.type !== 'telemetry') return [];
  const sensors = envelope.payload.sensors as Record<string, unknown> | undefined;
  const model = envelope.payload.device_model;
  if (!sensors || typeof sensors !== 'object') return [];
  const breaches: Breach[] = [];
  for (const rule of rules) {
    if (rule.deviceModel !== '*' && rule.deviceModel !== model) continue;
    const value = sensors[rule.sensor];
    if (typeof value !== 'number' || !compare[rule.op](value, rule.threshold)) continue;
    const windowStartS = Math.floor(envelope.timestamp / rule.windowS) * rule.windowS;
    breaches.push({ rule, value, windowStartS, alertId: alertIdOf(rule.id, envelope.device_id, windowStartS) });
  }
  return breaches;
}

/** The alert envelope published to the `alerts` queue (routing key `alert.<device_model>`). */
export function alertEnvelope(breach: Breach, reading: Envelope): Envelope {
  const { rule } = breach;
  return {
    id: breach.alertId,
    type: 'alert',
    device_id: reading.device_id,
    timestamp: reading.timestamp,
    payload: {
      rule_id: rule.id,
      device_model: reading.payload.device_model,
      sensor: rule.sensor,
      op: rule.op,
      threshold: rule.threshold,
      value: breach.value,
      severity: rule.severity,
      window_start: breach.windowStartS,
      window_s: rule.windowS,
      message_id: reading.id,
    },
  };
}
