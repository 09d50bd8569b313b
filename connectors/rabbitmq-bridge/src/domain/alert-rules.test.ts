import type { ZenthosError } from '@zenthos/core';
import { alertEnvelope, alertIdOf, evaluateRules, parseRule, parseWindowS, type AlertRule } from './alert-rules';
import type { Envelope } from './envelope';

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 1,
  deviceModel: 'esp32-s3',
  sensor: 'temperature',
  op: '>',
  threshold: 30,
  windowS: 300,
  severity: 'warning',
  ...over,
});
const reading = (temperature: number, timestamp = 1_000_000, model = 'esp32-s3'): Envelope => ({
  id: `m-${temperature}-${timestamp}`,
  type: 'telemetry',
  device_id: 'esp32-s3-001',
  timestamp,
  payload: { device_model: model, sensors: { temperature } },
});
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ZenthosError).code;
  }
  return 'none';
};

describe('evaluateRules', () => {
  it.each([
    ['>', 30, 30.1, true],
    ['>', 30, 30, false],
    ['>=', 30, 30, true],
    ['<', 0, -1, true],
    ['<=', 0, 0.5, false],
  ] as const)('%s %d with %d breaks: %s', (op, threshold, value, breaks) => {
    expect(evaluateRules([rule({ op, threshold })], reading(value))).toHaveLength(breaks ? 1 : 0);
  });

  it('applies a rule to its model or to every model with *', () => {
    expect(evaluateRules([rule()], reading(40, 1, 'esp32-cam'))).toHaveLength(0);
    expect(evaluateRules([rule({ deviceModel: '*' })], reading(40, 1, 'esp32-cam'))).toHaveLength(1);
  });

  it('puts readings of one window under one alert id, and the next window under another', () => {
    const [a] = evaluateRules([rule()], reading(40, 1_000_000));
    const [b] = evaluateRules([rule()], reading(41, 1_000_199));
    const [c] = evaluateRules([rule()], reading(42, 1_000_200));
    expect(a?.windowStartS).toBe(999_900);
    expect(b?.alertId).toBe(a?.alertId);
    expect(c?.alertId).not.toBe(a?.alertId);
    expect(a?.alertId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(alertIdOf(1, 'esp32-s3-001', 999_900)).toBe(a?.alertId);
  });

  it('ignores other envelope types and sensors the device did not send', () => {
    expect(evaluateRules([rule()], { ...reading(40), type: 'status' })).toEqual([]);
    expect(evaluateRules([rule({ sensor: 'humidity' })], reading(40))).toEqual([]);
  });

  it('describes the breach in the alert envelope', () => {
    const r = reading(40);
    const [breach] = evaluateRules([rule()], r);
    const alert = alertEnvelope(breach!, r);
    expect(alert).toMatchObject({ id: breach!.alertId, type: 'alert', device_id: 'esp32-s3-001', timestamp: r.timestamp });
    expect(alert.payload).toMatchObject({ rule_id: 1, sensor: 'temperature', op: '>', threshold: 30, value: 40, message_id: r.id });
  });
});

describe('parseRule', () => {
  it('accepts a rule from the command line', () => {
    expect(parseRule({ model: 'esp32-s3', sensor: 'temperature', op: '>=', threshold: '30.5', window: '5m' })).toEqual({
      deviceModel: 'esp32-s3',
      sensor: 'temperature',
      op: '>=',
      threshold: 30.5,
      windowS: 300,
      severity: 'warning',
    });
    expect(parseWindowS('1h')).toBe(3600);
  });

  it.each([
    [{ model: 'esp32 s3', sensor: 't', op: '>', threshold: '1' }],
    [{ model: '*', sensor: 't', op: '==', threshold: '1' }],
    [{ model: '*', sensor: 't', op: '>', threshold: 'hot' }],
    [{ model: '*', sensor: 't', op: '>', threshold: '1', window: '0' }],
    [{ model: '*', sensor: 't', op: '>', threshold: '1', severity: 'panic' }],
  ])('refuses %o', (input) => {
    expect(codeOf(() => parseRule(input))).toBe('ZEN_ALERT_RULE_INVALID');
  });
});
