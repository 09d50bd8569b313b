import type { ZenthosError } from '@zenthos/core';
import { kindOfEnrichedTopic, parseEnvelope, routingKeyFor, toEnvelope } from './envelope';

describe('toEnvelope', () => {
  it('builds the spec §7 envelope with the message_id as id and the rest as payload', () => {
    const env = toEnvelope('telemetry', {
      message_id: 'b9f5c8b2-0000-4000-8000-000000000000',
      device_id: 'esp32-s3-001',
      device_model: 'esp32-s3',
      timestamp: 1691020800,
      sensors: { temperature: 26.7, humidity: 61.2 },
      firmware_version: 'v0.1.0',
    });
    expect(env).toEqual({
      id: 'b9f5c8b2-0000-4000-8000-000000000000',
      type: 'telemetry',
      device_id: 'esp32-s3-001',
      timestamp: 1691020800,
      payload: { device_model: 'esp32-s3', sensors: { temperature: 26.7, humidity: 61.2 }, firmware_version: 'v0.1.0' },
    });
    expect(parseEnvelope(Buffer.from(JSON.stringify(env)))).toEqual(env);
  });
});

describe('routingKeyFor', () => {
  it.each([
    ['telemetry', 'esp32-s3', 'sensor.esp32-s3'],
    ['status', 'esp32-cam', 'status.esp32-cam'],
    ['inference', 'esp32-s3', 'inference.esp32-s3'],
    ['logs', 'a.b*c#', 'logs.a_b_c_'],
  ] as const)('%s from %s is %s', (kind, model, key) => {
    expect(routingKeyFor(kind, model)).toBe(key);
  });

  it('recognises the enriched topics of a prefix only', () => {
    expect(kindOfEnrichedTopic('zenthos', 'zenthos.status.enriched')).toBe('status');
    expect(kindOfEnrichedTopic('zenthos', 'zenthos.status.raw')).toBeUndefined();
  });
});

describe('parseEnvelope', () => {
  it.each([['not json'], ['{}'], ['{"id":"x","type":"telemetry","device_id":"d","timestamp":"1","payload":{}}'], ['null']])(
    'refuses %s',
    (text) => {
      let code = 'none';
      try {
        parseEnvelope(Buffer.from(text));
      } catch (err) {
        code = (err as ZenthosError).code;
      }
      expect(code).toBe('ZEN_PAYLOAD_INVALID');
    },
  );
});
