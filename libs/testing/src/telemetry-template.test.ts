import { buildTelemetry, uuidV4Pattern } from '@zenthos/firmware-common';
import { formatUuidV4, readMessageId, telemetryTemplate, writeEpochSeconds, writeUuidV4 } from './telemetry-template';

describe('telemetry templates', () => {
  const cases: Array<{ deviceId: string; sensors: Record<string, number>; modelVersion: string | undefined }> = [
    { deviceId: 'esp32-s3-000001', sensors: { temperature: 21.5, humidity: 48.25 }, modelVersion: undefined },
    // Multi-byte UTF-8 before the fields: offsets are in bytes, not characters.
    { deviceId: 'gerät-ü-1', sensors: { temperature: -3, pressure: 1013.2 }, modelVersion: 'm-20250730-abc' },
  ];

  it.each(cases)('writes the bytes JSON.stringify(buildTelemetry(...)) gives for $deviceId', (c) => {
    const template = telemetryTemplate({
      identity: { deviceId: c.deviceId, deviceModel: 'esp32-s3' },
      sensors: c.sensors,
      firmwareVersion: 'v0.1.0',
      modelVersion: c.modelVersion,
    });
    const random = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);
    const out = Buffer.from(template.payload);
    const nowMs = 1_764_513_600_123;
    writeUuidV4(random, 0, out, template.messageIdOffset);
    writeEpochSeconds(nowMs, out, template.timestampOffset);
    const messageId = formatUuidV4(random);
    const expected = buildTelemetry({
      identity: { deviceId: c.deviceId, deviceModel: 'esp32-s3' },
      messageId,
      nowMs,
      sensors: c.sensors,
      firmwareVersion: 'v0.1.0',
      modelVersion: c.modelVersion,
    }).payload;
    expect(out.toString('utf8')).toBe(JSON.stringify(expected));
    // The template itself is not changed by writing a message.
    expect(template.payload.toString('utf8')).toContain('"message_id":"00000000-0000-4000-8000-000000000000"');
  });

  it('refuses readings the firmware would drop', () => {
    expect(() =>
      telemetryTemplate({
        identity: { deviceId: 'd', deviceModel: 'esp32-s3' },
        sensors: { temperature: Number.NaN },
        firmwareVersion: 'v0.1.0',
        modelVersion: undefined,
      }),
    ).toThrow(RangeError);
  });
});

describe('UUIDv4 from random bytes', () => {
  it('sets version 4 and variant 10 whatever the random bytes (RFC 9562 §5.4)', () => {
    for (const fill of [0x00, 0xff, 0x5a]) {
      const id = formatUuidV4(new Uint8Array(16).fill(fill));
      expect(id).toMatch(uuidV4Pattern);
    }
    expect(formatUuidV4(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
    expect(formatUuidV4(new Uint8Array(16))).toBe('00000000-0000-4000-8000-000000000000');
  });

  it('reads the 16 bytes at the given offset', () => {
    const random = Uint8Array.from({ length: 48 }, (_, i) => i);
    expect(formatUuidV4(random, 16)).toBe('10111213-1415-4617-9819-1a1b1c1d1e1f');
  });
});

describe('epoch seconds', () => {
  it('writes whole seconds as 10 digits', () => {
    const out = Buffer.alloc(10);
    writeEpochSeconds(1_764_513_600_999, out, 0);
    expect(out.toString('latin1')).toBe('1764513600');
  });

  it('refuses times whose seconds do not have 10 digits', () => {
    expect(() => writeEpochSeconds(999_999_999_000, Buffer.alloc(10), 0)).toThrow(RangeError);
    expect(() => writeEpochSeconds(10_000_000_000_000, Buffer.alloc(10), 0)).toThrow(RangeError);
  });
});

describe('message_id of a received payload', () => {
  const id = '5a0c7e43-1f63-4e55-8f5d-2b9e4e1d0c11';
  it('finds it wherever it is in the payload, within the given range', () => {
    const payload = Buffer.from(`xx{"device_id":"d","message_id":"${id}","timestamp":1}yy`);
    expect(readMessageId(payload, 2, payload.length - 2)).toBe(id);
    expect(readMessageId(payload, 2, 40)).toBeUndefined();
  });
  it('is undefined without one, or with one that is not 36 characters', () => {
    expect(readMessageId(Buffer.from('{"device_id":"d"}'), 0, 17)).toBeUndefined();
    const short = Buffer.from('{"message_id":"abc","sensors":{"temperature":21.5,"humidity":40}}');
    expect(readMessageId(short, 0, short.length)).toBeUndefined();
  });
});
