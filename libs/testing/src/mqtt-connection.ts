// Opening an MQTT connection over node:net for the benchmarks' clients: TCP, CONNECT, and the
// CONNACK checked (a refusal becomes a coded error), with the socket reading into a buffer of its
// own so that the caller pays no Buffer and no stream event per read.
import { connect as netConnect, type Socket } from 'node:net';
import { ZenthosError } from '@zenthos/core';
import { connectRefusal, createPacketReader, decodeConnack, encodeConnect, packetTypes, type MqttProtocolVersion } from './mqtt-packets';

/** Host and port of an `mqtt://` or `tcp://` URL (port 1883 when absent); other schemes are refused. */
export const parseMqttUrl = (url: string): { host: string; port: number } => {
  const u = new URL(url);
  if (u.protocol !== 'mqtt:' && u.protocol !== 'tcp:') {
    throw new ZenthosError('ZEN_BAD_REQUEST', `MQTT URL ${url}: only mqtt:// and tcp:// (plain TCP) are supported here`);
  }
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 1883 };
};

/** An accepted MQTT connection whose incoming bytes go to the handler given to `receive`. */
export interface OpenConnection {
  readonly socket: Socket;
  /**
   * Takes over the connection's incoming bytes, `buf[0, length)`, valid only during the call;
   * bytes that arrived after the CONNACK and before this call are handed over first.
   */
  receive(onBytes: (buf: Buffer, length: number) => void): void;
}

/** Who connects, and how. */
export interface ConnectSettings {
  readonly clientId: string;
  readonly username?: string;
  /** Sent only when not empty. */
  readonly password?: string;
  readonly keepAliveS: number;
  readonly protocolVersion: MqttProtocolVersion;
  /** TCP connect + CONNACK within this long, else ZEN_TIMEOUT. */
  readonly timeoutMs: number;
  /** Size of the connection's own read buffer (default 8 KiB: a publisher reads 4-byte PUBACKs). */
  readonly readBufferBytes?: number;
}

/**
 * Opens one connection: TCP, CONNECT, and the CONNACK within `timeoutMs`. A refused CONNACK
 * rejects with the coded error of {@link connectRefusal}. The socket reads into a buffer of its
 * own (`onread`): no Buffer and no stream event per read, which at one read per few PUBACKs
 * were a large part of the generator's CPU.
 */
export function openConnection(address: { host: string; port: number }, settings: ConnectSettings): Promise<OpenConnection> {
  const { clientId, timeoutMs, protocolVersion: version } = settings;
  return new Promise((resolve, reject) => {
    let onBytes: (buf: Buffer, length: number) => void = () => undefined;
    const readBuffer = Buffer.allocUnsafe(settings.readBufferBytes ?? 8 * 1024);
    const socket = netConnect({
      host: address.host,
      port: address.port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (length) => {
          onBytes(readBuffer, length);
          return true;
        },
      },
    });
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () =>
        fail(
          new ZenthosError('ZEN_TIMEOUT', `no CONNACK for ${clientId} from ${address.host}:${address.port} within ${timeoutMs} ms`, true),
        ),
      timeoutMs,
    );
    const reader = createPacketReader((type, _flags, buf, start, end) => {
      if (settled) return;
      if (type !== packetTypes.connack) {
        fail(new ZenthosError('ZEN_DECODE_FAILED', `expected CONNACK for ${clientId}, got packet type ${type}`));
        return;
      }
      const refusal = connectRefusal(decodeConnack(buf, start, end), version, clientId);
      if (refusal) {
        fail(refusal);
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      // Until the caller takes over, bytes read are kept (copied: the read buffer is reused). An
      // error meanwhile ends in a close, which the caller notices (socket.destroyed).
      const early: Buffer[] = [];
      onBytes = (b, length) => void early.push(Buffer.from(b.subarray(0, length)));
      socket.on('error', () => undefined);
      resolve({
        socket,
        receive(handler) {
          onBytes = handler;
          for (const chunk of early.splice(0)) handler(chunk, chunk.length);
        },
      });
    });
    onBytes = (buf, length) => {
      try {
        reader.push(buf, length);
      } catch (err) {
        fail(err as Error);
      }
    };
    const onClose = (): void =>
      fail(
        new ZenthosError(
          'ZEN_DEPENDENCY_UNAVAILABLE',
          `${address.host}:${address.port} closed the connection of ${clientId} before CONNACK`,
          true,
        ),
      );
    const onError = (err: Error): void =>
      fail(
        new ZenthosError(
          'ZEN_DEPENDENCY_UNAVAILABLE',
          `MQTT connection of ${clientId} to ${address.host}:${address.port} failed: ${err.message}`,
          true,
          {
            cause: err,
          },
        ),
      );
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once('connect', () =>
      socket.write(
        encodeConnect({
          clientId,
          ...(settings.username !== undefined ? { username: settings.username } : {}),
          ...(settings.password ? { password: settings.password } : {}),
          keepAliveS: settings.keepAliveS,
          clean: true,
          protocolVersion: version,
        }),
      ),
    );
  });
}
