import { frame, unframe } from './wire-format';

describe('Confluent wire format', () => {
  it('frames magic 0, a big-endian id and the payload', () => {
    const out = frame(0x01020304, Buffer.from([9, 8]));
    expect([...out]).toEqual([0, 1, 2, 3, 4, 9, 8]);
    const back = unframe(out);
    expect(back.schemaId).toBe(0x01020304);
    expect([...back.payload]).toEqual([9, 8]);
  });

  it.each([
    ['empty', Buffer.alloc(0), 'ZEN_DECODE_TRUNCATED'],
    ['short header', Buffer.from([0, 0, 0]), 'ZEN_DECODE_TRUNCATED'],
    ['bad magic', Buffer.from([1, 0, 0, 0, 1, 2]), 'ZEN_DECODE_BAD_MAGIC'],
  ])('refuses %s', (_name, buf, code) => {
    expect(() => unframe(buf)).toThrow(expect.objectContaining({ code }));
  });

  it('refuses ids outside 32 bits when framing', () => {
    expect(() => frame(-1, Buffer.alloc(0))).toThrow(expect.objectContaining({ code: 'ZEN_PAYLOAD_INVALID' }));
  });
});
