import { ZenthosError } from '@zenthos/core';
import {
  DISCONNECT,
  PINGREQ,
  connectRefusal,
  createPacketIds,
  createPacketReader,
  decodeConnack,
  decodePuback,
  decodeSuback,
  encodeConnect,
  encodePublishQos1,
  encodeSubscribe,
  readPublish,
  readRemainingLength,
  remainingLengthSize,
  writePuback,
  writeRemainingLength,
} from './mqtt-packets';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('remaining length (MQTT 3.1.1 §2.2.3)', () => {
  // The boundaries of Table 2.4 of the specification.
  const table: Array<[number, string]> = [
    [0, '00'],
    [2, '02'],
    [127, '7f'],
    [128, '8001'],
    [321, 'c102'],
    [16_383, 'ff7f'],
    [16_384, '808001'],
    [2_097_151, 'ffff7f'],
    [2_097_152, '80808001'],
    [268_435_455, 'ffffff7f'],
  ];

  it.each(table)('%d is written as %s and read back', (n, bytes) => {
    const buf = new Uint8Array(6);
    const end = writeRemainingLength(buf, 1, n);
    expect(hex(buf.subarray(1, end))).toBe(bytes);
    expect(remainingLengthSize(n)).toBe(bytes.length / 2);
    expect(readRemainingLength(buf, 1)).toEqual({ value: n, bytes: bytes.length / 2 });
  });

  it('refuses lengths the four bytes cannot carry', () => {
    expect(() => writeRemainingLength(new Uint8Array(8), 0, 268_435_456)).toThrow(RangeError);
    expect(() => writeRemainingLength(new Uint8Array(8), 0, -1)).toThrow(RangeError);
  });

  it('asks for more data when the length is cut off, and refuses a fifth byte', () => {
    expect(readRemainingLength(Uint8Array.of(0x80, 0x80), 0)).toBeUndefined();
    expect(readRemainingLength(Uint8Array.of(), 0)).toBeUndefined();
    expect(() => readRemainingLength(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x01), 0)).toThrow(ZenthosError);
  });
});

describe('CONNECT', () => {
  it('encodes a 3.1.1 CONNECT with user name, password and keep alive', () => {
    const packet = encodeConnect({ clientId: 'd1', username: 'd1', password: 'tok', keepAliveS: 60, protocolVersion: 4 });
    // type 1; remaining 10 + 4 + 4 + 5 = 23; "MQTT"; level 4; flags user|password|clean; keep alive 60.
    expect(hex(packet)).toBe('1017' + '00044d515454' + '04' + 'c2' + '003c' + '00026431' + '00026431' + '0003746f6b');
  });

  it('encodes a 5.0 CONNECT with an empty property list and no credentials', () => {
    const packet = encodeConnect({ clientId: 'c', keepAliveS: 0, protocolVersion: 5 });
    expect(hex(packet)).toBe('100e' + '00044d515454' + '05' + '02' + '0000' + '00' + '000163');
  });

  it('refuses a 3.1.1 password without a user name (§3.1.2.9)', () => {
    expect(() => encodeConnect({ clientId: 'c', password: 'p', keepAliveS: 0, protocolVersion: 4 })).toThrow(RangeError);
  });
});

describe('PUBLISH QoS 1', () => {
  it('lays out topic, packet identifier and payload (3.1.1)', () => {
    const p = encodePublishQos1('a/b', Buffer.from('hi'), 4);
    expect(hex(p.template)).toBe('3209' + '0003612f62' + '0000' + '6869');
    expect(p.packetIdOffset).toBe(7);
    expect(p.payloadOffset).toBe(9);
  });

  it('adds an empty property list after the packet identifier (5.0)', () => {
    const p = encodePublishQos1('a/b', Buffer.from('hi'), 5);
    expect(hex(p.template)).toBe('320a' + '0003612f62' + '0000' + '00' + '6869');
    expect(p.payloadOffset).toBe(10);
  });

  it('uses a two-byte remaining length for a payload of 200 bytes', () => {
    const p = encodePublishQos1('t', Buffer.alloc(200, 0x78), 4);
    expect(hex(p.template.subarray(0, 3))).toBe('32cd01'); // 2 + 1 + 2 + 200 = 205
    expect(p.template.length).toBe(3 + 205);
  });

  it('has fixed PINGREQ and DISCONNECT packets', () => {
    expect(hex(PINGREQ)).toBe('c000');
    expect(hex(DISCONNECT)).toBe('e000');
  });
});

describe('packet reader', () => {
  const collect = () => {
    const seen: Array<{ type: number; flags: number; body: string }> = [];
    const reader = createPacketReader((type, flags, buf, start, end) => seen.push({ type, flags, body: hex(buf.subarray(start, end)) }));
    return { reader, seen };
  };
  const puback = (id: number): Buffer => Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);
  const stream = Buffer.concat([
    Buffer.from('20020000', 'hex'), // CONNACK accepted
    puback(1),
    puback(258),
    Buffer.from('d000', 'hex'), // PINGRESP
    encodePublishQos1('t', Buffer.alloc(200, 0x61), 4).template, // two-byte remaining length
    puback(65_535),
  ]);
  const expected = [
    { type: 2, flags: 0, body: '0000' },
    { type: 4, flags: 0, body: '0001' },
    { type: 4, flags: 0, body: '0102' },
    { type: 13, flags: 0, body: '' },
    { type: 3, flags: 2, body: '000174' + '0000' + '61'.repeat(200) },
    { type: 4, flags: 0, body: 'ffff' },
  ];

  it('reads several packets from one chunk', () => {
    const { reader, seen } = collect();
    reader.push(stream);
    expect(seen).toEqual(expected);
    expect(reader.pending).toBe(0);
  });

  it('reads the same packets whatever two chunks the stream is split into', () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { reader, seen } = collect();
      reader.push(stream.subarray(0, cut));
      reader.push(stream.subarray(cut));
      expect(seen).toEqual(expected);
      expect(reader.pending).toBe(0);
    }
  });

  it('reads the same packets from one byte at a time', () => {
    const { reader, seen } = collect();
    for (let i = 0; i < stream.length; i++) reader.push(stream.subarray(i, i + 1));
    expect(seen).toEqual(expected);
  });

  it('reads only the given length of a reused read buffer', () => {
    const { reader, seen } = collect();
    const readBuffer = Buffer.alloc(64, 0xff);
    // A PUBACK, then a QoS 0 PUBLISH's type and the first byte of its two-byte remaining length
    // (205); stale 0xff bytes after them must not be read as more length bytes.
    Buffer.from('40020009' + '30', 'hex').copy(readBuffer);
    readBuffer[5] = 0xcd;
    reader.push(readBuffer, 6);
    expect(seen).toEqual([{ type: 4, flags: 0, body: '0009' }]);
    expect(reader.pending).toBe(2);
    const rest = Buffer.from('01' + '000174' + '0000' + '61'.repeat(200) + 'ffff', 'hex');
    reader.push(rest, rest.length - 2);
    expect(seen[1]).toEqual({ type: 3, flags: 0, body: '000174' + '0000' + '61'.repeat(200) });
    expect(reader.pending).toBe(0);
  });

  it('holds back an incomplete packet until the rest arrives', () => {
    const { reader, seen } = collect();
    reader.push(Buffer.from('400200', 'hex'));
    expect(seen).toEqual([]);
    expect(reader.pending).toBe(3);
    reader.push(Buffer.from('07', 'hex'));
    expect(seen).toEqual([{ type: 4, flags: 0, body: '0007' }]);
  });

  it('refuses a packet over its size limit', () => {
    const reader = createPacketReader(() => undefined, 100);
    expect(() => reader.push(Buffer.from('30ff01', 'hex'))).toThrow(expect.objectContaining({ code: 'ZEN_DECODE_LIMIT_EXCEEDED' }));
  });
});

describe('PUBACK', () => {
  it('reads the packet identifier, and the MQTT 5 reason code when present', () => {
    expect(decodePuback(Buffer.from('1234', 'hex'))).toEqual({ packetId: 0x1234, reasonCode: 0 });
    expect(decodePuback(Buffer.from('ffff87', 'hex'))).toEqual({ packetId: 65_535, reasonCode: 0x87 });
    expect(decodePuback(Buffer.from('990001100000', 'hex'), 1, 4)).toEqual({ packetId: 1, reasonCode: 0x10 });
    expect(() => decodePuback(Buffer.from('12', 'hex'))).toThrow(expect.objectContaining({ code: 'ZEN_DECODE_TRUNCATED' }));
  });
});

describe('CONNACK', () => {
  it('accepts return code 0', () => {
    const connack = decodeConnack(Buffer.from('0100', 'hex'));
    expect(connack).toEqual({ sessionPresent: true, returnCode: 0 });
    expect(connectRefusal(connack, 4, 'd1')).toBeUndefined();
  });

  // MQTT 3.1.1 §3.2.2.3, Table 3.1.
  it.each([
    [1, 'ZEN_BAD_REQUEST', 'unacceptable protocol version', false],
    [2, 'ZEN_BAD_REQUEST', 'identifier rejected', false],
    [3, 'ZEN_DEPENDENCY_UNAVAILABLE', 'server unavailable', true],
    [4, 'ZEN_MQTT_BAD_CREDENTIALS', 'bad user name or password', false],
    [5, 'ZEN_MQTT_NOT_AUTHORIZED', 'not authorized', false],
    [42, 'ZEN_BAD_REQUEST', 'unknown code', false],
  ])('3.1.1 return code %d is refused with %s', (rc, code, text, retriable) => {
    const err = connectRefusal(decodeConnack(Buffer.from([0, rc])), 4, 'dev-7');
    expect(err).toBeInstanceOf(ZenthosError);
    expect(err?.code).toBe(code);
    expect(err?.retriable).toBe(retriable);
    expect(err?.message).toContain(`return code ${rc} (${text})`);
    expect(err?.message).toContain('dev-7');
  });

  // MQTT 5 §3.2.2.2.
  it.each([
    [0x84, 'ZEN_BAD_REQUEST'],
    [0x86, 'ZEN_MQTT_BAD_CREDENTIALS'],
    [0x87, 'ZEN_MQTT_NOT_AUTHORIZED'],
    [0x88, 'ZEN_DEPENDENCY_UNAVAILABLE'],
    [0x89, 'ZEN_DEPENDENCY_UNAVAILABLE'],
  ])('5.0 reason code %d is refused with %s', (rc, code) => {
    expect(connectRefusal({ sessionPresent: false, returnCode: rc }, 5, 'd')?.code).toBe(code);
  });

  it('refuses a truncated CONNACK', () => {
    expect(() => decodeConnack(Buffer.from('00', 'hex'))).toThrow(expect.objectContaining({ code: 'ZEN_DECODE_TRUNCATED' }));
  });
});

describe('packet identifiers (MQTT 3.1.1 §2.3.1)', () => {
  it('counts up from 1 and returns what each identifier carries', () => {
    const ids = createPacketIds<string>();
    expect([ids.take('a'), ids.take('b'), ids.take('c')]).toEqual([1, 2, 3]);
    expect(ids.inFlight).toBe(3);
    expect(ids.release(2)).toBe('b');
    expect(ids.release(2)).toBeUndefined();
    expect(ids.release(0)).toBeUndefined();
    expect(ids.inFlight).toBe(2);
    // Freed identifiers are not reused before the counter comes round again.
    expect(ids.take('d')).toBe(4);
  });

  it('wraps from 65535 to 1, never to 0', () => {
    const ids = createPacketIds<number>(65_534);
    const taken = [ids.take(0), ids.take(1), ids.take(2)];
    expect(taken).toEqual([65_534, 65_535, 1]);
  });

  it('skips identifiers still in flight after wrapping', () => {
    const ids = createPacketIds<number>(65_535);
    expect(ids.take(0)).toBe(65_535);
    expect(ids.take(1)).toBe(1);
    expect(ids.take(2)).toBe(2);
    ids.release(65_535);
    ids.release(2);
    // 1 is still awaiting its PUBACK; the counter goes on from 3 and, after a full turn, skips 1.
    const turn: number[] = [];
    for (let i = 3; i <= 65_535; i++) turn.push(ids.take(i));
    expect(turn).toEqual(Array.from({ length: 65_533 }, (_, k) => k + 3));
    expect(ids.isInFlight(1)).toBe(true);
    ids.release(65_535);
    expect(ids.take(-1)).toBe(2);
    expect(ids.take(-2)).toBe(65_535);
  });

  it('refuses a 65536th identifier in flight', () => {
    const ids = createPacketIds<number>();
    for (let i = 1; i <= 65_535; i++) ids.take(i);
    expect(() => ids.take(0)).toThrow(RangeError);
    ids.release(4_000);
    expect(ids.take(0)).toBe(4_000);
  });

  it('refuses a start outside 1 to 65535', () => {
    expect(() => createPacketIds(0)).toThrow(RangeError);
    expect(() => createPacketIds(65_536)).toThrow(RangeError);
  });
});

describe('SUBSCRIBE / SUBACK', () => {
  it('encodes one filter at QoS 1 with the reserved flags 0010 (3.1.1 §3.8.1)', () => {
    expect(hex(encodeSubscribe(1, 'a/#', 1, 4))).toBe('8208' + '0001' + '0003612f23' + '01');
    expect(hex(encodeSubscribe(258, 'a/#', 1, 5))).toBe('8209' + '0102' + '00' + '0003612f23' + '01');
    expect(() => encodeSubscribe(0, 'a', 1, 4)).toThrow(RangeError);
  });

  it('reads the packet identifier and the return codes, skipping MQTT 5 properties', () => {
    expect(decodeSuback(Buffer.from('000101', 'hex'), 0, 3, 4)).toEqual({ packetId: 1, returnCodes: [1] });
    expect(decodeSuback(Buffer.from('00018000', 'hex'), 0, 4, 4)).toEqual({ packetId: 1, returnCodes: [0x80, 0] });
    // MQTT 5: property length 3 (a reason string "x" would be longer; any bytes are skipped).
    expect(decodeSuback(Buffer.from('0002' + '03' + '1f0000' + '87', 'hex'), 0, 7, 5)).toEqual({ packetId: 2, returnCodes: [0x87] });
    expect(() => decodeSuback(Buffer.from('0001', 'hex'), 0, 2, 4)).toThrow(expect.objectContaining({ code: 'ZEN_DECODE_TRUNCATED' }));
  });
});

describe('received PUBLISH', () => {
  it('finds topic, packet identifier and payload of a QoS 1 PUBLISH', () => {
    const packet = encodePublishQos1('a/b', Buffer.from('hi'), 4).template;
    packet.writeUInt16BE(0x1234, 7);
    const view = readPublish(packet, 2, packet.length, 0x02, 4);
    expect(view).toEqual({ qos: 1, packetId: 0x1234, topicStart: 4, topicEnd: 7, payloadStart: 9 });
    expect(packet.subarray(view.payloadStart).toString()).toBe('hi');
  });

  it('skips MQTT 5 properties and has no packet identifier at QoS 0', () => {
    // QoS 0, topic "t", properties of 2 bytes (payload format indicator 1), payload "x".
    const body = Buffer.from('000174' + '02' + '0101' + '78', 'hex');
    expect(readPublish(body, 0, body.length, 0x00, 5)).toEqual({ qos: 0, packetId: 0, topicStart: 2, topicEnd: 3, payloadStart: 6 });
  });

  it('refuses QoS 3 and a body shorter than its headers', () => {
    expect(() => readPublish(Buffer.from('000174', 'hex'), 0, 3, 0x06, 4)).toThrow(expect.objectContaining({ code: 'ZEN_DECODE_FAILED' }));
    expect(() => readPublish(Buffer.from('000574', 'hex'), 0, 3, 0x02, 4)).toThrow(
      expect.objectContaining({ code: 'ZEN_DECODE_TRUNCATED' }),
    );
  });

  it('writes a PUBACK for it', () => {
    const buf = new Uint8Array(6);
    expect(writePuback(buf, 1, 0xabcd)).toBe(5);
    expect(hex(buf)).toBe('0040' + '02' + 'abcd' + '00');
  });
});
