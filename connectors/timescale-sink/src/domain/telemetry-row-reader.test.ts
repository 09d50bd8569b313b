import { contracts, parseSchema, type TelemetryEnriched } from '@zenthos/schemas';
import { tableSpecs } from './rows';
import { compileTelemetryRowReader } from './telemetry-row-reader';

const schema = contracts['telemetry-enriched'].schema;
const schemaText = JSON.stringify(schema);
const type = parseSchema(schema);
const read = compileTelemetryRowReader(schemaText)!;

const base: TelemetryEnriched = {
  message_id: '0b7c1a52-1f7e-4c8e-9a51-3f1d2b4c5d6e',
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: 1_796_045_847,
  sensors: { temperature: 21.5, humidity: 40, co2: 412 },
  firmware_version: 'v0.1.0',
  model_version: null,
  ingest_ts: 1_796_045_847_003,
  owner: null,
  location: null,
  metadata: {},
  known_device: true,
  enriched_ts: 1_796_045_847_007,
};

/** The row the general path makes: avsc decode, then the table spec's toRow. */
const generalRow = (bytes: Buffer): readonly unknown[] =>
  tableSpecs.telemetry.toRow(type.fromBuffer(bytes, undefined, true) as TelemetryEnriched);

/** Rows compared with the payload as parsed JSON (jsonb ignores key order and whitespace). */
const comparable = (row: readonly unknown[] | undefined): unknown[] | undefined =>
  row && row.map((v, i) => (i === 4 ? (JSON.parse(v as string) as unknown) : v));

describe('compileTelemetryRowReader', () => {
  const cases: [string, TelemetryEnriched][] = [
    ['a plain record', base],
    [
      'every optional field set, text needing JSON escapes and non-ASCII',
      {
        ...base,
        model_version: 'm-20261130-abc',
        owner: 'Zoë "ops" \\ team\n\ttab',
        location: { latitude: 48.85, longitude: 2.35, altitude_m: 35.5, site: 'Bâtiment A' },
        metadata: { room: '12', 'odd key "q"': '{"nested":true}', emoji: '🌡' },
        known_device: false,
      },
    ],
    ['no sensors', { ...base, sensors: {} }],
    ['no temperature or humidity', { ...base, sensors: { co2: 400.25, '1': 2 } }],
    [
      'NaN and infinite readings (JSON null, no column value)',
      { ...base, sensors: { temperature: Number.NaN, humidity: Number.POSITIVE_INFINITY, x: -0 } },
    ],
    ['a location without optional parts', { ...base, location: { latitude: -33.9, longitude: 151.2, altitude_m: null, site: null } }],
    ['negative and large times', { ...base, timestamp: 0, ingest_ts: 253_402_300_799_999, enriched_ts: -5 }],
    [
      'integer readings written digit by digit',
      {
        ...base,
        sensors: {
          a: 0,
          b: -1,
          c: 9_007_199_254_740_991,
          d: -9_007_199_254_740_991,
          e: 10,
          f: 100,
          g: 99,
          h: 1e15,
          i: 2 ** 53,
          temperature: 7,
        },
        enriched_ts: 1_000_000_000_000,
      },
    ],
    ['many sensors', { ...base, sensors: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`s${i}`, i / 7])) }],
    [
      'sensor keys needing escapes or beyond ASCII, and a metadata key named like a column',
      {
        ...base,
        sensors: { température: 1, 'q"k': 2, 'b\\s': 3, 'tab\t': 4, '\u007f': 5, humidity: 55.5, temperature: -3.25 },
        metadata: { temperature: '99' },
        device_model: 'modèle',
      },
    ],
  ];
  it.each(cases)('reads %s as the general path does', (_name, value) => {
    const bytes = type.toBuffer(value);
    const fast = read(bytes, 0);
    expect(fast).toBeDefined();
    expect(comparable(fast)).toEqual(comparable(generalRow(bytes)));
    // The payload is the whole record.
    expect(JSON.parse(fast![4] as string)).toEqual(JSON.parse(JSON.stringify(value)));
  });

  it('writes the text JSON.stringify writes for records without escapes', () => {
    for (const value of [base, cases[1]![1], cases.find(([name]) => name.startsWith('integer'))![1]]) {
      expect(read(type.toBuffer(value), 0)?.[4]).toBe(JSON.stringify(value));
    }
  });

  it('reads invalid UTF-8 as avsc does (U+FFFD), in the columns and in the payload', () => {
    const bytes = type.toBuffer({ ...base, device_id: 'esp32-s3-0x1', sensors: { kx: 1, temperature: 2 } });
    const bad = Buffer.from(bytes.toString('latin1').replace('esp32-s3-0x1', 'esp32-s3-0\xff1').replace('kx', 'k\xc3'), 'latin1');
    const fast = read(bad, 0);
    expect(fast?.[2]).toBe('esp32-s3-0\ufffd1');
    expect(comparable(fast)).toEqual(comparable(generalRow(bad)));
    expect(JSON.parse(fast![4] as string).sensors).toEqual({ 'k\ufffd': 1, temperature: 2 });
  });

  it('reads from an offset (after the Confluent wire header)', () => {
    const bytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), type.toBuffer(base)]);
    expect(comparable(read(bytes, 5))).toEqual(comparable(generalRow(bytes.subarray(5))));
  });

  it('leaves truncated bytes to the general path', () => {
    const bytes = type.toBuffer({ ...base, location: { latitude: 1, longitude: 2, altitude_m: 3, site: 'x' } });
    for (let len = 0; len < bytes.length; len++) expect(read(bytes.subarray(0, len), 0)).toBeUndefined();
  });

  it('leaves what it cannot read exactly to the general path', () => {
    // A time beyond year 9999 (the general path formats or refuses it).
    expect(read(type.toBuffer({ ...base, timestamp: 253_402_300_800 }), 0)).toBeUndefined();
    // A map key avsc would not keep.
    const keyed = type.toBuffer({ ...base, sensors: { x_proto__: 1 } });
    expect(read(keyed, 0)).toBeDefined();
    const proto = Buffer.from(keyed.toString('latin1').replace('x_proto__', '__proto__'), 'latin1');
    expect(read(proto, 0)).toBeUndefined();
    // A long beyond 2^53.
    const tooLong = type.toBuffer(base);
    const big = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // message_id (1 + 36 bytes), device_id (1 + 12), device_model (1 + 8), then the timestamp (5 bytes).
    const at = 1 + 36 + 1 + 12 + 1 + 8;
    expect(read(tooLong, 0)).toBeDefined();
    expect(read(Buffer.concat([tooLong.subarray(0, at), big, tooLong.subarray(at + 5)]), 0)).toBeUndefined();
    // A negative string length.
    expect(read(Buffer.from([0x01, 0x00]), 0)).toBeUndefined();
  });

  it('compiles only schemas it reads exactly', () => {
    expect(compileTelemetryRowReader('not json')).toBeUndefined();
    expect(compileTelemetryRowReader(JSON.stringify(contracts['status-enriched'].schema))).toBeUndefined();
    const withBytes = {
      ...(schema as object),
      fields: [...(schema as { readonly fields: readonly object[] }).fields, { name: 'blob', type: 'bytes' }],
    };
    expect(compileTelemetryRowReader(JSON.stringify(withBytes))).toBeUndefined();
    const wideUnion = {
      ...(schema as object),
      fields: [...(schema as { readonly fields: readonly object[] }).fields, { name: 'either', type: ['null', 'string', 'long'] }],
    };
    expect(compileTelemetryRowReader(JSON.stringify(wideUnion))).toBeUndefined();
  });
});
