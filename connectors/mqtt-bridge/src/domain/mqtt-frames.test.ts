import { createFrameScanner, parsePublishFrame, takeConnectKeepAlive } from './mqtt-frames';

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

describe('parsePublishFrame', () => {
  const publish = (qos: number, topic: string, payload: string, messageId?: number): Buffer => {
    const t = Buffer.from(topic, 'utf8');
    const id = messageId === undefined ? [] : [messageId >> 8, messageId & 0xff];
    const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from(id), Buffer.from(payload)]);
    return Buffer.concat([Buffer.from([0x30 | (qos << 1), ...lengthBytes(body.length)]), body]);
  };

  it('reads topic, QoS, packet id and payload', () => {
    const p = parsePublishFrame(publish(1, 'zenthos/m/d/telemetry', '{"a":1}', 0x1234));
    expect(p && { ...p, payload: p.payload.toString() }).toEqual({
      topic: 'zenthos/m/d/telemetry',
      qos: 1,
      messageId: 0x1234,
      payload: '{"a":1}',
    });
    const q0 = parsePublishFrame(publish(0, 't', 'x'.repeat(300)));
    expect(q0 && [q0.qos, q0.messageId, q0.payload.length]).toEqual([0, undefined, 300]);
  });

  it('refuses QoS 3 and a topic or packet id beyond the packet', () => {
    expect(parsePublishFrame(publish(3, 't', 'x', 1))).toBeUndefined();
    expect(parsePublishFrame(Buffer.from([0x32, 0x04, 0x00, 0x09, 0x61, 0x62]))).toBeUndefined();
    expect(parsePublishFrame(Buffer.from([0x32, 0x03, 0x00, 0x01, 0x61]))).toBeUndefined();
  });
});

describe('takeConnectKeepAlive', () => {
  const connect = (name: string, keepAliveS: number): Buffer => {
    const body = Buffer.concat([
      Buffer.from([0, name.length]),
      Buffer.from(name),
      Buffer.from([name === 'MQTT' ? 4 : 3, 0x02, keepAliveS >> 8, keepAliveS & 0xff]),
      Buffer.from([0, 3]),
      Buffer.from('dev'),
    ]);
    return Buffer.concat([Buffer.from([0x10, body.length]), body]);
  };

  it.each(['MQTT', 'MQIsdp'])('reads the Keep Alive of a %s CONNECT and zeroes it in a copy', (name) => {
    const frame = connect(name, 600);
    const taken = takeConnectKeepAlive(frame);
    expect(taken?.keepAliveS).toBe(600);
    expect(takeConnectKeepAlive(taken?.frame as Buffer)?.keepAliveS).toBe(0);
    expect(takeConnectKeepAlive(frame)?.keepAliveS).toBe(600);
  });

  it('refuses a frame too short to hold it', () => {
    expect(takeConnectKeepAlive(Buffer.from([0x10, 0x04, 0x00, 0x04, 0x4d, 0x51]))).toBeUndefined();
  });
});
