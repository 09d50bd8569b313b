import { copyBinaryChunks, millisOfIso } from './copy-binary';
import { isoFromMillis, tableSpecs, type Column, type Row } from './rows';

const col = (name: string, type: Column['type']): Column => ({ name, type });
const one = (columns: Column[], row: Row): Buffer | undefined => {
  const chunks = copyBinaryChunks(columns, [row]);
  return chunks && Buffer.concat(chunks);
};
const HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);
/** The bytes of one tuple between the header and the trailer. */
const tuple = (data: Buffer | undefined): string => {
  expect(data?.subarray(0, HEADER.length)).toEqual(HEADER);
  expect(data?.subarray(data.length - 2)).toEqual(TRAILER);
  return data!.subarray(HEADER.length, data!.length - 2).toString('hex');
};

describe('millisOfIso', () => {
  it.each([
    '1970-01-01T00:00:00.000Z',
    '2000-01-01T00:00:00.000Z',
    '1999-12-31T23:59:59.999Z',
    '2024-02-29T12:34:56.789Z',
    '2026-11-30T17:13:01.005Z',
    '1800-06-15T01:02:03.040Z',
  ])('reads %s as Date.parse does', (iso) => {
    expect(millisOfIso(iso)).toBe(Date.parse(iso));
    expect(isoFromMillis(millisOfIso(iso))).toBe(iso);
  });

  it.each([
    '2026-02-30T00:00:00.000Z', // no such day
    '2026-13-01T00:00:00.000Z',
    '2026-11-30T24:00:00.000Z',
    '2026-11-30T12:60:00.000Z',
    '2026-11-30T12:00:60.000Z',
    '2026-11-30 12:00:00.000Z',
    '2026-11-30T12:00:00Z',
    '2026-11-30T12:00:00.000+00:00',
    '+012026-11-30T12:00:00.000Z',
    '2026-11-3xT12:00:00.000Z',
    '0050-01-01T00:00:00.000Z', // Date.UTC would read the year as 1950
  ])('refuses %s', (iso) => {
    expect(millisOfIso(iso)).toBeNaN();
  });
});

describe('copyBinaryChunks', () => {
  it('writes the send format of every column type', () => {
    const columns = [
      col('t', 'timestamptz'),
      col('id', 'uuid'),
      col('s', 'text'),
      col('j', 'jsonb'),
      col('f', 'float8'),
      col('b', 'int8'),
      col('i', 'int4'),
      col('n', 'text'),
    ];
    const hex = tuple(one(columns, ['2000-01-01T00:00:01.000Z', '0123ABCD-89ab-cdef-0123-456789abcdef', 'é', '{}', 1.5, -2, 7, null]));
    expect(hex).toBe(
      [
        '0008', // fields
        '00000008' + '00000000000f4240', // 1 s after 2000-01-01 in µs
        '00000010' + '0123abcd89abcdef0123456789abcdef',
        '00000002' + 'c3a9', // UTF-8
        '00000003' + '01' + '7b7d', // jsonb version 1
        '00000008' + '3ff8000000000000',
        '00000008' + 'fffffffffffffffe',
        '00000004' + '00000007',
        'ffffffff', // NULL
      ].join(''),
    );
  });

  it('writes times before 2000 as negative microseconds', () => {
    expect(tuple(one([col('t', 'timestamptz')], ['1999-12-31T23:59:59.999Z']))).toBe('0001' + '00000008' + 'fffffffffffffc18');
    expect(tuple(one([col('t', 'timestamptz')], ['1970-01-01T00:00:00.000Z']))).toBe(
      '0001' + '00000008' + Buffer.from(BigInt.asUintN(64, -946_684_800_000_000n).toString(16), 'hex').toString('hex'),
    );
  });

  it('writes -0 as +0, as text COPY of String(-0) stored it', () => {
    expect(tuple(one([col('f', 'float8')], [-0]))).toBe('0001' + '00000008' + '0000000000000000');
  });

  it.each<[Column['type'], unknown]>([
    ['timestamptz', '2026-11-30 12:00:00+00'],
    ['timestamptz', 1_700_000_000_000],
    ['timestamptz', '2400-01-01T00:00:00.000Z'], // beyond µs exact as a double
    ['uuid', '0123abcd89abcdef0123456789abcdef'],
    ['uuid', '{0123abcd-89ab-cdef-0123-456789abcdef}'],
    ['uuid', '0123abcd-89ab-cdef-0123-456789abcdeg'],
    ['uuid', 'not-a-uuid'],
    ['text', 42],
    ['jsonb', { a: 1 }],
    ['float8', '1.5'],
    ['int8', 1.5],
    ['int8', 2 ** 60],
    ['int4', 2 ** 31],
    ['int4', '7'],
  ])('leaves a %s value %p to text COPY', (type, value) => {
    expect(copyBinaryChunks([col('c', type)], [[value]])).toBeUndefined();
  });

  it('refuses a row of another width', () => {
    expect(copyBinaryChunks([col('a', 'text'), col('b', 'text')], [['x']])).toBeUndefined();
  });

  it('splits large batches into chunks that add up to header, tuples and trailer', () => {
    const columns = tableSpecs.telemetry.columns;
    const payload = JSON.stringify({ sensors: { temperature: 21.5 }, pad: 'x'.repeat(300) });
    const rows: Row[] = [];
    for (let i = 0; i < 3000; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      rows.push([
        isoFromMillis(1_700_000_000_000 + i),
        id,
        'esp32-s3-001',
        'esp32-s3',
        payload,
        21.5,
        null,
        isoFromMillis(1_700_000_000_005 + i),
      ]);
    }
    const chunks = copyBinaryChunks(columns, rows)!;
    expect(chunks.length).toBeGreaterThan(1);
    const data = Buffer.concat(chunks);
    // Walk the tuples: every one has 8 fields whose lengths add up to the whole.
    let pos = HEADER.length;
    let tuples = 0;
    while (data.readInt16BE(pos) !== -1) {
      expect(data.readInt16BE(pos)).toBe(8);
      pos += 2;
      for (let f = 0; f < 8; f++) {
        const n = data.readInt32BE(pos);
        pos += 4 + Math.max(0, n);
      }
      tuples++;
    }
    expect(tuples).toBe(3000);
    expect(pos + 2).toBe(data.length);
  });

  it('writes an empty batch as header and trailer', () => {
    expect(Buffer.concat(copyBinaryChunks(tableSpecs.telemetry.columns, [])!)).toEqual(Buffer.concat([HEADER, TRAILER]));
  });
});
