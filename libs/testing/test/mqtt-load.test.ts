// runLoad's and startSubscriber's protocol behaviour against a scripted MQTT peer on loopback: the cases a real broker
// cannot be made to produce on demand (a broker that stops acknowledging, holds PUBACKs past the
// keep-alive, refuses a publish or a connection, drops the connection). The real brokers are in
// tools/bench/test/load-generator.int.test.ts.
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { ZenthosError } from '@zenthos/core';
import { runLoad, type LoadDevice } from '../src/mqtt-load';
import { createPacketReader, encodePublishQos1, packetTypes } from '../src/mqtt-packets';
import { startSubscriber } from '../src/mqtt-subscriber';
import { readMessageId } from '../src/telemetry-template';

/** What the scripted peer saw on one connection. */
interface Seen {
  connects: number;
  protocolLevel: number;
  publishes: number;
  pings: number;
  disconnects: number;
  /** Packet identifiers of PUBLISHes received while the same identifier was still unacknowledged. */
  reusedIds: number[];
  zeroIds: number;
}

interface Peer {
  readonly url: string;
  readonly seen: Seen;
  close(): Promise<void>;
}

/**
 * A peer that answers CONNECT with `connack` (return code) and hands each PUBLISH's packet id to
 * `onPublish`, which decides when and how to acknowledge.
 */
async function startPeer(options: {
  connack?: number;
  onPublish?: (socket: Socket, packetId: number, ack: (id: number, reason?: number) => void) => void;
}): Promise<Peer> {
  const seen: Seen = { connects: 0, protocolLevel: 0, publishes: 0, pings: 0, disconnects: 0, reusedIds: [], zeroIds: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const unacked = new Set<number>();
    let level = 4;
    const ack = (id: number, reason?: number): void => {
      unacked.delete(id);
      if (socket.destroyed) return;
      const body = reason === undefined ? [id >> 8, id & 0xff] : [id >> 8, id & 0xff, reason, 0];
      socket.write(Buffer.from([packetTypes.puback << 4, body.length, ...body]));
    };
    const reader = createPacketReader((type, _flags, buf, start) => {
      if (type === packetTypes.connect) {
        seen.connects++;
        level = buf[start + 6] as number;
        seen.protocolLevel = level;
        socket.write(Buffer.from([packetTypes.connack << 4, 2, 0, options.connack ?? 0]));
      } else if (type === packetTypes.publish) {
        seen.publishes++;
        const topicLength = buf.readUInt16BE(start);
        const id = buf.readUInt16BE(start + 2 + topicLength);
        if (id === 0) seen.zeroIds++;
        if (unacked.has(id)) seen.reusedIds.push(id);
        unacked.add(id);
        if (options.onPublish) options.onPublish(socket, id, ack);
        else ack(id);
      } else if (type === packetTypes.pingreq) {
        seen.pings++;
        socket.write(Buffer.from([packetTypes.pingresp << 4, 0]));
      } else if (type === packetTypes.disconnect) {
        seen.disconnects++;
      }
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const device = (id: string): LoadDevice => ({ id, token: 't', topic: `zenthos/esp32-s3/${id}/telemetry` });

describe('runLoad against a scripted MQTT peer', () => {
  let peer: Peer | undefined;
  afterEach(async () => {
    await peer?.close();
    peer = undefined;
  });

  it('wraps packet identifiers past 65535 without reusing one in flight, acknowledged out of order', async () => {
    // Acknowledge in batches of three, newest first, so identifiers come back out of order.
    const held: number[] = [];
    peer = await startPeer({
      onPublish: (_socket, id, ack) => {
        held.push(id);
        if (held.length === 3) for (const h of held.splice(0).reverse()) ack(h);
      },
    });
    const result = await runLoad({ url: peer.url, model: 'esp32-s3', devices: [device('d1')], messagesPerDevice: 66_000, inFlight: 3 });
    expect(result).toMatchObject({ sent: 66_000, acknowledged: 66_000, errors: 0 });
    expect(peer.seen).toMatchObject({ connects: 1, publishes: 66_000, zeroIds: 0, reusedIds: [], disconnects: 1 });
  }, 60_000);

  it('sends PINGREQ while PUBACKs are held past the keep-alive', async () => {
    peer = await startPeer({ onPublish: (_socket, id, ack) => void setTimeout(() => ack(id), 2_500) });
    const result = await runLoad({
      url: peer.url,
      model: 'esp32-s3',
      devices: [device('d1')],
      messagesPerDevice: 1,
      inFlight: 1,
      keepAliveS: 1,
    });
    expect(result).toMatchObject({ sent: 1, acknowledged: 1, errors: 0 });
    expect(peer.seen.pings).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('cuts the run off when the broker stops acknowledging, counting what was in flight as errors', async () => {
    peer = await startPeer({ onPublish: () => undefined });
    const result = await runLoad({
      url: peer.url,
      model: 'esp32-s3',
      devices: [device('d1'), device('d2')],
      messagesPerDevice: 100,
      inFlight: 4,
      timeoutMs: 1_000,
    });
    expect(result).toMatchObject({ sent: 8, acknowledged: 0, errors: 8 });
    expect(result.firstError).toMatch(/cut off after 1000 ms/);
    expect(result.publishedAt.size).toBe(0);
  }, 30_000);

  it('counts an MQTT 5 PUBACK with a failure reason code as an error', async () => {
    let n = 0;
    peer = await startPeer({ onPublish: (_socket, id, ack) => ack(id, n++ % 2 === 0 ? 0x00 : 0x87) });
    const result = await runLoad({
      url: peer.url,
      model: 'esp32-s3',
      devices: [device('d1')],
      messagesPerDevice: 10,
      inFlight: 2,
      protocolVersion: 5,
    });
    expect(peer.seen.protocolLevel).toBe(5);
    expect(result).toMatchObject({ sent: 10, acknowledged: 5, errors: 5 });
    expect(result.firstError).toMatch(/reason code 0x87/);
    expect(result.publishedAt.size).toBe(5);
  });

  it('counts the messages in flight as errors when the broker drops the connection', async () => {
    peer = await startPeer({
      onPublish: (socket, id, ack) => {
        if (id <= 5) ack(id);
        else if (id === 8) socket.destroy();
      },
    });
    const result = await runLoad({ url: peer.url, model: 'esp32-s3', devices: [device('d1')], messagesPerDevice: 50, inFlight: 3 });
    expect(result.acknowledged).toBe(5);
    expect(result.errors).toBe(result.sent - 5);
    expect(result.sent).toBeLessThan(50);
    expect(result.firstError).toMatch(/closed before every message was acknowledged/);
  });

  it('rejects with a coded error naming the return code when the connection is refused', async () => {
    peer = await startPeer({ connack: 4 });
    const attempt = runLoad({ url: peer.url, model: 'esp32-s3', devices: [device('d1'), device('d2')], messagesPerDevice: 1, inFlight: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ZenthosError);
    await expect(attempt).rejects.toMatchObject({ code: 'ZEN_MQTT_BAD_CREDENTIALS' });
    await expect(attempt).rejects.toThrow('return code 4 (bad user name or password)');
  });

  it('rejects with ZEN_DEPENDENCY_UNAVAILABLE when nothing listens', async () => {
    const closed = await startPeer({});
    const url = closed.url;
    await closed.close();
    await expect(
      runLoad({ url, model: 'esp32-s3', devices: [device('d1')], messagesPerDevice: 1, inFlight: 1, connectTimeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: 'ZEN_DEPENDENCY_UNAVAILABLE', retriable: true });
  });

  it('rejects a URL scheme it cannot speak', async () => {
    await expect(
      runLoad({ url: 'mqtts://127.0.0.1:8883', model: 'esp32-s3', devices: [device('d1')], messagesPerDevice: 1, inFlight: 1 }),
    ).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
  });
});

describe('startSubscriber against a scripted MQTT peer', () => {
  /** A peer that grants (or refuses) the subscription and then delivers `deliveries` at QoS 1 in one write. */
  async function subscriberPeer(suback: number, deliveries: number): Promise<{ url: string; pubacks: number[]; close(): Promise<void> }> {
    const pubacks: number[] = [];
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      const reader = createPacketReader((type, _flags, buf, start) => {
        if (type === packetTypes.connect) socket.write(Buffer.from([0x20, 2, 0, 0]));
        else if (type === packetTypes.subscribe) {
          socket.write(Buffer.from([0x90, 3, buf[start] as number, buf[start + 1] as number, suback]));
          if (suback < 0x80) {
            const packets = Array.from({ length: deliveries }, (_, i) => {
              const p = encodePublishQos1('t/1', Buffer.from(`{"message_id":"${String(i).padStart(36, '0')}"}`), 4);
              p.template.writeUInt16BE(i + 1, p.packetIdOffset);
              return p.template;
            });
            // Split mid-packet: the subscriber must put the halves together.
            const all = Buffer.concat(packets);
            socket.write(all.subarray(0, 100));
            setTimeout(() => socket.write(all.subarray(100)), 20);
          }
        } else if (type === packetTypes.puback) pubacks.push(buf.readUInt16BE(start));
      });
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`,
      pubacks,
      close: () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
  }

  it('acknowledges every QoS 1 delivery and hands over each payload', async () => {
    const peer = await subscriberPeer(1, 50);
    const ids: string[] = [];
    const subscriber = await startSubscriber({
      url: peer.url,
      clientId: 's',
      topicFilter: 't/#',
      onMessage: (buf, start, end) => ids.push(readMessageId(buf, start, end) ?? 'none'),
    });
    try {
      for (let i = 0; i < 100 && peer.pubacks.length < 50; i++) await new Promise((r) => setTimeout(r, 20));
      expect(subscriber.received).toBe(50);
      expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => String(i).padStart(36, '0')));
      expect(peer.pubacks).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      await subscriber.close();
      await peer.close();
    }
  });

  it('rejects a refused subscription (SUBACK 0x80) with a coded error', async () => {
    const peer = await subscriberPeer(0x80, 0);
    try {
      await expect(startSubscriber({ url: peer.url, clientId: 's', topicFilter: '#', onMessage: () => undefined })).rejects.toMatchObject({
        code: 'ZEN_MQTT_NOT_AUTHORIZED',
      });
    } finally {
      await peer.close();
    }
  });
});
