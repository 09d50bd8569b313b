import { contracts } from '@zenthos/schemas';
import { headerNames, planIngest, topicNames } from './ingest';

const identity = { deviceId: 'd-1', model: 'esp32-s3' };
const nowMs = 1_764_500_000_000;
const rules = { maxClockSkewS: 60, maxPayloadBytes: 4096, mqttRoot: 'zenthos', topics: topicNames('zenthos') };
const good = {
  message_id: '5a0c7e43-1f63-4e55-8f5d-2b9e4e1d0c11',
  device_id: 'd-1',
  device_model: 'esp32-s3',
  timestamp: nowMs / 1000,
  sensors: { temperature: 20 },
};

describe('topicNames', () => {
  it('derives every topic from the prefix', () => {
    expect(topicNames('zenthos').raw('telemetry')).toBe('zenthos.telemetry.raw');
    expect(topicNames('t-1').raw('logs')).toBe('t-1.logs.raw');
    expect(topicNames('zenthos').dlq).toBe('zenthos.dlq');
    expect(topicNames('t-1').rawSubject('status')).toBe('t-1.status.raw-value');
    expect(topicNames('zenthos').rawSubject('telemetry')).toBe(contracts['telemetry-raw'].subject);
  });
});

describe('planIngest', () => {
  it('produces a valid telemetry message to <prefix>.telemetry.raw keyed by device id', () => {
    const plan = planIngest(
      { topic: 'zenthos/esp32-s3/d-1/telemetry', payload: Buffer.from(JSON.stringify(good)), identity, receivedAtMs: nowMs },
      rules,
    );
    expect(plan).toMatchObject({
      kind: 'produce',
      messageKind: 'telemetry',
      topic: 'zenthos.telemetry.raw',
      subject: contracts['telemetry-raw'].subject,
      key: 'd-1',
      record: { ...good, ingest_ts: nowMs, firmware_version: null, model_version: null },
    });
    // DESIGN.md: data records carry the trace context headers only (added by the pipeline).
    expect(plan).not.toHaveProperty('headers');
  });

  it('dead-letters an invalid payload with the original bytes and the reason', () => {
    const payload = Buffer.from('{"not json');
    const plan = planIngest({ topic: 'zenthos/esp32-s3/d-1/status', payload, identity, receivedAtMs: nowMs }, rules);
    expect(plan).toMatchObject({
      kind: 'deadLetter',
      topic: 'zenthos.dlq',
      key: 'd-1',
      value: payload,
      reason: 'not_json',
      headers: {
        [headerNames.reason]: 'not_json',
        [headerNames.errorCode]: 'ZEN_PAYLOAD_INVALID',
        [headerNames.source]: 'mqtt',
        [headerNames.sourceTopic]: 'zenthos/esp32-s3/d-1/status',
        [headerNames.deviceId]: 'd-1',
      },
    });
  });
});
