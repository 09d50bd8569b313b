import { createFrameScanner } from './mqtt-frames';

// MQTT variable byte integer (3.1.1 §2.2.3).
const lengthBytes = (n: number): number[] => {
  const out: number[] = [];
  let x = n;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    out.push(byte);
  } while (x > 0);
  return out;
};
const packet = (type: number, bodyLength: number): Buffer =>
  Buffer.concat([Buffer.from([type, ...lengthBytes(bodyLength)]), Buffer.alloc(bodyLength, 7)]);

describe('createFrameScanner', () => {
  it('splits a stream into packets whatever the chunking', () => {
    const stream = Buffer.concat([packet(0x30, 3), packet(0xc0, 0), packet(0x32, 200)]);
    for (const size of [1, 2, 5, stream.length]) {
      const scanner = createFrameScanner(1024);
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) {
        const r = scanner.push(stream.subarray(i, i + size));
        if (!r.ok) throw new Error(r.message);
        frames.push(...r.frames);
      }
      expect(frames.map((f) => f.length)).toEqual([5, 2, 203]);
      expect(scanner.buffered).toBe(0);
    }
  });

  it.each([
    ['just under the limit', 1021, true],
    ['one byte over the limit', 1022, false],
    ['a 256 MB remaining length', 268_435_455, false],
  ])('%s', (_name, bodyLength, ok) => {
    const scanner = createFrameScanner(1024);
    // Only the fixed header is sent: the verdict must come before any body byte.
    const header = Buffer.from([0x30, ...lengthBytes(bodyLength)]);
    const r = scanner.push(header);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.reason).toBe('packet_too_large');
    if (ok) {
      const rest = scanner.push(Buffer.alloc(bodyLength, 7));
      expect(rest.ok && rest.frames.length).toBe(1);
    }
  });

  it('refuses a remaining length of five bytes as malformed', () => {
    const r = createFrameScanner(1 << 30).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
    expect(r).toMatchObject({ ok: false, reason: 'malformed_packet' });
  });
});
