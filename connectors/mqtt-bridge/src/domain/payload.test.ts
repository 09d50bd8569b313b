import { validatePayload } from './payload';

const me = { deviceId: 'esp32-s3-001', model: 'esp32-s3' };
const nowMs = 1_764_500_000_000;
const nowS = nowMs / 1000;
const rules = { maxClockSkewS: 300, maxPayloadBytes: 1024 };
const id = '0b7f2a44-2f0c-4a57-9a1e-6f3e0e6b9d21';
const telemetry = {
  message_id: id,
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: nowS,
  sensors: { temperature: 26.7, humidity: 61 },
  firmware_version: 'v0.1.0',
  model_version: 'm-2025-07-30-abc',
};
const bytes = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('validatePayload', () => {
  it('builds the telemetry record with ingest_ts from the bridge clock', () => {
    const result = validatePayload('telemetry', bytes({ ...telemetry, ingest_ts: 5, extra: true }), me, nowMs, rules);
    expect(result).toEqual({ ok: true, record: { ...telemetry, ingest_ts: nowMs } });
  });

  it('fills contract defaults for missing optional fields', () => {
    const { firmware_version: _f, model_version: _m, ...minimal } = telemetry;
    const result = validatePayload('telemetry', bytes(minimal), me, nowMs, rules);
    expect(result).toEqual({ ok: true, record: { ...telemetry, firmware_version: null, model_version: null, ingest_ts: nowMs } });
  });

  it.each<[string, 'status' | 'inference' | 'logs', Record<string, unknown>]>([
    ['status', 'status', { state: 'online', uptime_s: 12, rssi_dbm: -60, ota: null }],
    [
      'status with an OTA report',
      'status',
      {
        state: 'updating',
        ota: { state: 'downloading', release_version: 'v0.2.0', artifact: 'firmware', rollout_id: null, progress_pct: 40, error: null },
      },
    ],
    ['inference', 'inference', { model_version: 'm-20250730-abc', label: 'cat', confidence: 0.9, scores: { cat: 0.9, dog: 0.1 } }],
    ['logs', 'logs', { level: 'warn', message: 'wifi lost', component: 'wifi', attributes: { ssid: 'lab' } }],
  ])('accepts %s', (_name, kind, fields) => {
    const payload = { message_id: id, device_id: me.deviceId, device_model: me.model, timestamp: nowS, ...fields };
    const result = validatePayload(kind, bytes(payload), me, nowMs, rules);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.record).toMatchObject({ ...fields, ingest_ts: nowMs });
  });

  it.each<[string, 'telemetry' | 'status' | 'logs', Buffer, string]>([
    ['oversized', 'telemetry', Buffer.alloc(2000, 0x20), 'payload_too_large'],
    ['non-UTF-8', 'telemetry', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'not_utf8'],
    ['malformed JSON', 'telemetry', bytes('{"message_id":'), 'not_json'],
    ['an array', 'telemetry', bytes([telemetry]), 'not_object'],
    ['a number', 'telemetry', bytes('42'), 'not_object'],
    ['no message_id', 'telemetry', bytes({ ...telemetry, message_id: undefined }), 'bad_message_id'],
    ['a non-UUID message_id', 'telemetry', bytes({ ...telemetry, message_id: 'abc' }), 'bad_message_id'],
    ['another device_id', 'telemetry', bytes({ ...telemetry, device_id: 'esp32-s3-002' }), 'identity_mismatch'],
    ['another device_model', 'telemetry', bytes({ ...telemetry, device_model: 'esp32-cam' }), 'identity_mismatch'],
    ['a string timestamp', 'telemetry', bytes({ ...telemetry, timestamp: String(nowS) }), 'bad_timestamp'],
    ['a fractional timestamp', 'telemetry', bytes({ ...telemetry, timestamp: nowS + 0.5 }), 'bad_timestamp'],
    ['a timestamp in milliseconds', 'telemetry', bytes({ ...telemetry, timestamp: nowMs }), 'clock_skew'],
    ['a clock far behind', 'telemetry', bytes({ ...telemetry, timestamp: nowS - 301 }), 'clock_skew'],
    ['a string sensor', 'telemetry', bytes({ ...telemetry, sensors: { t: '26' } }), 'bad_sensors'],
    ['no sensors', 'telemetry', bytes({ ...telemetry, sensors: undefined }), 'bad_sensors'],
    ['a numeric firmware_version', 'telemetry', bytes({ ...telemetry, firmware_version: 1 }), 'schema_mismatch'],
    [
      'an unknown state',
      'status',
      bytes({ message_id: id, device_id: me.deviceId, device_model: me.model, timestamp: nowS, state: 'sleepy' }),
      'schema_mismatch',
    ],
    [
      'a log without message',
      'logs',
      bytes({ message_id: id, device_id: me.deviceId, device_model: me.model, timestamp: nowS, level: 'info' }),
      'schema_mismatch',
    ],
  ])('refuses %s', (_name, kind, payload, reason) => {
    const result = validatePayload(kind, payload, me, nowMs, rules);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('keeps the message id of an invalid payload when it has one', () => {
    const result = validatePayload('telemetry', bytes({ ...telemetry, sensors: [] }), me, nowMs, rules);
    expect(result).toMatchObject({ ok: false, reason: 'bad_sensors', messageId: id });
  });
});
