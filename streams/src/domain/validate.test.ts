import type { LogRaw, StatusRaw } from '@zenthos/schemas';
import { createValidate, type ValidateSettings } from './validate';
import { telemetryRecord } from './test-records';
import type { StreamRecord } from './record';

const NOW_S = 1_764_460_800;
const clock = { nowMs: () => NOW_S * 1000 };
const settings: ValidateSettings = {
  kind: 'telemetry',
  maxFutureSkewS: 300,
  maxAgeS: 86_400,
  sensorRanges: { '*': { humidity: [0, 100] }, 'esp32-s3': { temperature: [-40, 85] }, 'esp32-cam': { temperature: [-20, 60] } },
};
const validate = createValidate(settings, { clock });

describe('validate', () => {
  const cases: Array<[string, StreamRecord<never>, string | undefined]> = [
    ['a valid record', telemetryRecord({}, NOW_S) as never, undefined],
    ['a device clock 299 s ahead', telemetryRecord({ timestamp: NOW_S + 299 }, NOW_S) as never, undefined],
    ['a device clock 301 s ahead', telemetryRecord({ timestamp: NOW_S + 301 }, NOW_S) as never, 'ZEN_TIMESTAMP_SKEW'],
    ['a message older than the max age', telemetryRecord({ timestamp: NOW_S - 86_401 }, NOW_S) as never, 'ZEN_TIMESTAMP_SKEW'],
    ['a timestamp in milliseconds by mistake', telemetryRecord({ timestamp: NOW_S * 1000 }, NOW_S) as never, 'ZEN_TIMESTAMP_SKEW'],
    ['a zero timestamp', telemetryRecord({ timestamp: 0 }, NOW_S) as never, 'ZEN_TIMESTAMP_SKEW'],
    ['temperature above the model range', telemetryRecord({ sensors: { temperature: 86 } }, NOW_S) as never, 'ZEN_SENSOR_OUT_OF_RANGE'],
    ['temperature at the model range edge', telemetryRecord({ sensors: { temperature: 85 } }, NOW_S) as never, undefined],
    [
      'temperature valid for esp32-s3 but not for esp32-cam',
      telemetryRecord({ device_model: 'esp32-cam', sensors: { temperature: 70 } }, NOW_S) as never,
      'ZEN_SENSOR_OUT_OF_RANGE',
    ],
    ['humidity outside the * range', telemetryRecord({ sensors: { humidity: 101 } }, NOW_S) as never, 'ZEN_SENSOR_OUT_OF_RANGE'],
    ['a NaN reading', telemetryRecord({ sensors: { temperature: Number.NaN } }, NOW_S) as never, 'ZEN_SENSOR_OUT_OF_RANGE'],
    ['an unlisted sensor with any value', telemetryRecord({ sensors: { lux: 123_456 } }, NOW_S) as never, undefined],
    ['no sensor readings', telemetryRecord({ sensors: {} }, NOW_S) as never, 'ZEN_REQUIRED_FIELD_MISSING'],
    ['an empty message_id', telemetryRecord({ message_id: '' }, NOW_S) as never, 'ZEN_REQUIRED_FIELD_MISSING'],
    ['a message_id that is not a UUIDv4', telemetryRecord({ message_id: 'abc' }, NOW_S) as never, 'ZEN_PAYLOAD_INVALID'],
    ['an empty device_model', telemetryRecord({ device_model: ' ' }, NOW_S) as never, 'ZEN_REQUIRED_FIELD_MISSING'],
    ['a key that is not the device id', { ...telemetryRecord({}, NOW_S), key: 'other' } as never, 'ZEN_PAYLOAD_INVALID'],
  ];

  it.each(cases)('%s', async (_name, record, expectedCode) => {
    const outcome = await validate(record);
    if (expectedCode === undefined) {
      expect(outcome).toEqual({ kind: 'forward', record });
    } else {
      expect(outcome.kind).toBe('deadLetter');
      expect(outcome.kind === 'deadLetter' && outcome.error.code).toBe(expectedCode);
    }
  });

  const base = telemetryRecord({}, NOW_S).value;
  const status = (state: string): StreamRecord<StatusRaw> => ({
    key: base.device_id,
    timestampMs: 0,
    headers: {},
    value: {
      ...base,
      state,
      model_version: null,
      uptime_s: null,
      rssi_dbm: null,
      free_heap_bytes: null,
      ota: null,
    } as unknown as StatusRaw,
  });
  const log = (message: string): StreamRecord<LogRaw> => ({
    key: base.device_id,
    timestampMs: 0,
    headers: {},
    value: { ...base, level: 'INFO', message, component: null, attributes: {} } as unknown as LogRaw,
  });

  it.each([
    ['status', status('online'), undefined],
    ['status', status(''), 'ZEN_REQUIRED_FIELD_MISSING'],
    ['logs', log('booted'), undefined],
    ['logs', log(''), 'ZEN_REQUIRED_FIELD_MISSING'],
  ] as const)('requires the fields of kind %s (%#)', async (kind, record, expectedCode) => {
    const outcome = await createValidate({ ...settings, kind }, { clock })(record as StreamRecord<never>);
    expect(outcome.kind === 'deadLetter' ? outcome.error.code : undefined).toBe(expectedCode);
  });
});
