import type { Message, MessageHeader } from 'node-rdkafka';
import { toIncoming, toIncomingBatch } from './rdkafka';

const message = (over: Partial<Message> = {}): Message => ({
  topic: 't',
  partition: 2,
  offset: 41,
  key: Buffer.from('dev-1'),
  value: Buffer.from('v'),
  size: 1,
  timestamp: 1_700_000_000_000,
  ...over,
});

describe('toIncoming', () => {
  it.each<[string, MessageHeader[] | undefined, Record<string, string>]>([
    ['no headers', undefined, {}],
    ['an empty header list', [], {}],
    ['one header per entry', [{ a: Buffer.from('1') }, { b: Buffer.from('2') }], { a: '1', b: '2' }],
    ['a string value as UTF-8 bytes', [{ s: 'é' }], { s: 'é' }],
    ['several keys in one entry', [{ a: Buffer.from('1'), b: Buffer.from('2') }], { a: '1', b: '2' }],
    ['the last of repeated names', [{ a: Buffer.from('1') }, { a: Buffer.from('2') }], { a: '2' }],
  ])('converts %s', (_, headers, expected) => {
    const r = toIncoming(message({ headers }));
    expect(Object.keys(r.headers)).toEqual(Object.keys(expected));
    for (const [k, v] of Object.entries(expected)) {
      expect(Buffer.isBuffer(r.headers[k])).toBe(true);
      expect(r.headers[k]?.toString('utf8')).toBe(v);
    }
  });

  it('keeps header and key buffers as node-rdkafka gave them', () => {
    const h = Buffer.from('x');
    const key = Buffer.from('dev-9');
    const r = toIncoming(message({ key, headers: [{ h }] }));
    expect(r.headers.h).toBe(h);
    expect(r.key).toBe(key);
  });

  it.each([
    ['null', null, null],
    ['undefined', undefined, null],
    ['a string', 'dev-2', 'dev-2'],
  ])('maps a key given as %s', (_, key, expected) => {
    const r = toIncoming(message({ key }));
    expect(r.key === null ? null : r.key.toString('utf8')).toBe(expected);
  });

  it('carries position, value and timestamp, offsets as decimal strings', () => {
    expect(toIncoming(message({ value: null, timestamp: undefined }))).toEqual({
      topic: 't',
      partition: 2,
      offset: '41',
      key: Buffer.from('dev-1'),
      value: null,
      headers: {},
      timestampMs: 0,
    });
    expect(toIncoming(message({ offset: 2 ** 40 })).offset).toBe('1099511627776');
  });
});

describe('toIncomingBatch', () => {
  it('converts every message in order, in the same array', () => {
    const batch = [message({ offset: 1 }), message({ offset: 2 }), message({ offset: 3 })];
    const out = toIncomingBatch(batch);
    expect(out).toBe(batch as unknown);
    expect(out.map((r) => r.offset)).toEqual(['1', '2', '3']);
  });

  it('returns an empty batch as it is', () => {
    expect(toIncomingBatch([])).toEqual([]);
  });
});
