import { createCountingRandom } from '../../test/fakes';
import { buildTelemetry, topicFor } from './telemetry';
import { uuidV4, uuidV4Pattern } from './uuid';

const identity = { deviceId: 'esp32-s3-001', deviceModel: 'esp32-s3' };

describe('buildTelemetry (spec §5 payload)', () => {
  it.each([
    [
      'spec example',
      { temperature: 26.7, humidity: 61.2 },
      'm-20250802-abc123',
      { sensors: { temperature: 26.7, humidity: 61.2 }, model_version: 'm-20250802-abc123' },
      [],
    ],
    ['no model yet', { temperature: -4 }, undefined, { sensors: { temperature: -4 }, model_version: null }, []],
    [
      'non-finite readings left out',
      { temperature: NaN, humidity: Infinity, co2: 415 },
      undefined,
      { sensors: { co2: 415 } },
      ['temperature', 'humidity'],
    ],
    ['no sensors', {}, undefined, { sensors: {} }, []],
  ])('%s', (_name, sensors, modelVersion, expected, rejected) => {
    const out = buildTelemetry({ identity, messageId: 'id-1', nowMs: 1_691_020_800_999, sensors, firmwareVersion: 'v0.1.0', modelVersion });
    expect(out.payload).toMatchObject({
      message_id: 'id-1',
      device_id: 'esp32-s3-001',
      device_model: 'esp32-s3',
      timestamp: 1_691_020_800,
      firmware_version: 'v0.1.0',
      ...expected,
    });
    expect(Object.keys(out.payload).sort()).toEqual(
      ['device_id', 'device_model', 'firmware_version', 'message_id', 'model_version', 'sensors', 'timestamp'].sort(),
    );
    expect(out.rejected).toEqual(rejected);
  });

  it.each([
    ['telemetry', 'zenthos/esp32-s3/esp32-s3-001/telemetry'],
    ['status', 'zenthos/esp32-s3/esp32-s3-001/status'],
    ['inference', 'zenthos/esp32-s3/esp32-s3-001/inference'],
    ['ota', 'zenthos/esp32-s3/esp32-s3-001/ota'],
  ] as const)('topic for %s is %s', (channel, topic) => {
    expect(topicFor(identity, channel)).toBe(topic);
  });
});

describe('uuidV4', () => {
  it('is a well-formed, distinct RFC 9562 version 4 UUID whatever the random bytes', () => {
    const random = createCountingRandom();
    const ids = Array.from({ length: 300 }, () => uuidV4(random));
    for (const id of ids) expect(id).toMatch(uuidV4Pattern);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([0x00, 0xff])('sets version and variant bits even when every random byte is 0x%s', (fill) => {
    expect(uuidV4({ bytes: (n) => new Uint8Array(n).fill(fill) })).toMatch(uuidV4Pattern);
  });
});
