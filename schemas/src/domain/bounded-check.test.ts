import { parseSchema } from './avro';
import { checkBounded, defaultDecodeLimits } from './bounded-check';

/** Avro zig-zag varint of any 64-bit value. */
function varint(n: bigint): number[] {
  let z = n >= 0n ? n << 1n : ((-n - 1n) << 1n) | 1n;
  const out: number[] = [];
  do {
    let b = Number(z & 0x7fn);
    z >>= 7n;
    if (z > 0n) b |= 0x80;
    out.push(b);
  } while (z > 0n);
  return out;
}

const bytes = (...parts: Array<number | number[]>): Buffer => Buffer.from(parts.flat());

const codeOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
};

describe('checkBounded', () => {
  const recordSchema = {
    type: 'record',
    name: 'R',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'n', type: ['null', 'long'] },
      { name: 'tags', type: { type: 'map', values: 'double' } },
      { name: 'level', type: { type: 'enum', name: 'L', symbols: ['a', 'b'] } },
    ],
  };
  const record = parseSchema(recordSchema);
  const good = record.toBuffer({ id: 'dev-1', n: 42, tags: { t: 1.5, h: 2 }, level: 'b' });

  it('accepts what avsc writes', () => {
    expect(codeOf(() => checkBounded(record, good))).toBeUndefined();
  });

  it('flags every truncation of a valid message', () => {
    for (let cut = 0; cut < good.length; cut++) {
      expect(codeOf(() => checkBounded(record, good.subarray(0, cut)))).toBe('ZEN_DECODE_TRUNCATED');
    }
  });

  const cases: Array<[string, object | string, Buffer, string]> = [
    ['a huge string length prefix', 'string', bytes(varint(2n ** 40n), 65, 66), 'ZEN_DECODE_TRUNCATED'],
    ['a negative string length', 'string', bytes(varint(-3n), 65, 66, 67), 'ZEN_DECODE_FAILED'],
    ['a huge item count of longs', { type: 'array', items: 'long' }, bytes(varint(2n ** 62n), 2, 2), 'ZEN_DECODE_TRUNCATED'],
    ['a huge item count of zero-byte items', { type: 'array', items: 'null' }, bytes(varint(2n ** 40n), 0), 'ZEN_DECODE_LIMIT_EXCEEDED'],
    [
      'a huge negative block count of nulls',
      { type: 'array', items: 'null' },
      bytes(varint(-(2n ** 40n)), varint(0n), 0),
      'ZEN_DECODE_LIMIT_EXCEEDED',
    ],
    [
      'a negative block count with a huge block size',
      { type: 'array', items: 'long' },
      bytes(varint(-2n), varint(2n ** 40n), 2, 2, 0),
      'ZEN_DECODE_TRUNCATED',
    ],
    ['a negative block size', { type: 'array', items: 'long' }, bytes(varint(-1n), varint(-5n), 2, 0), 'ZEN_DECODE_FAILED'],
    ['a huge map entry count', { type: 'map', values: 'null' }, bytes(varint(2n ** 50n), 2, 65), 'ZEN_DECODE_TRUNCATED'],
    ['a bad union index', ['null', 'string'], bytes(varint(7n)), 'ZEN_DECODE_FAILED'],
    ['a negative union index', ['null', 'string'], bytes(varint(-1n)), 'ZEN_DECODE_FAILED'],
    ['a bad enum index', { type: 'enum', name: 'E', symbols: ['x'] }, bytes(varint(1n)), 'ZEN_DECODE_FAILED'],
    ['a varint longer than 10 bytes', 'long', bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), 'ZEN_DECODE_FAILED'],
    ['a varint cut off', 'long', bytes(0xff, 0xff), 'ZEN_DECODE_TRUNCATED'],
    ['trailing bytes', 'int', bytes(2, 2), 'ZEN_DECODE_FAILED'],
    ['a boolean that is not 0 or 1', 'boolean', bytes(7), 'ZEN_DECODE_FAILED'],
    ['a truncated double', 'double', bytes(1, 2, 3), 'ZEN_DECODE_TRUNCATED'],
  ];

  it.each(cases)('refuses %s', (_name, schema, payload, code) => {
    expect(codeOf(() => checkBounded(parseSchema(schema), payload))).toBe(code);
  });

  it('refuses nesting deeper than the limit in a recursive schema', () => {
    const list = parseSchema({ type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] });
    const deep = Buffer.from([...Array(200).fill(2), 0]);
    expect(codeOf(() => checkBounded(list, deep))).toBe('ZEN_DECODE_LIMIT_EXCEEDED');
    const shallow = Buffer.from([2, 2, 0]);
    expect(codeOf(() => checkBounded(list, shallow))).toBeUndefined();
  });

  it('refuses payloads over the size limit before reading them', () => {
    expect(codeOf(() => checkBounded(parseSchema('bytes'), Buffer.alloc(100), { ...defaultDecodeLimits, maxBytes: 10 }))).toBe(
      'ZEN_DECODE_LIMIT_EXCEEDED',
    );
  });

  it('counts items across blocks and nesting against maxItems', () => {
    const nested = parseSchema({ type: 'array', items: { type: 'array', items: 'null' } });
    const payload = bytes(varint(3n), varint(4n), varint(0n), varint(4n), varint(0n), varint(4n), varint(0n), varint(0n));
    expect(codeOf(() => checkBounded(nested, payload))).toBeUndefined();
    expect(codeOf(() => checkBounded(nested, payload, { ...defaultDecodeLimits, maxItems: 10 }))).toBe('ZEN_DECODE_LIMIT_EXCEEDED');
  });
});
