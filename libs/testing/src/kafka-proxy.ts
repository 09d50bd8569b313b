// A TCP proxy in front of a Kafka broker (the shared one of the tests) that a test can cut and restore, so "Kafka is
// down" is tested without stopping the broker other tests use. Kafka clients connect to the
// addresses the broker advertises in Metadata (and FindCoordinator) responses, so the proxy
// rewrites the advertised port to its own in those responses: every connection of the client
// then goes through the proxy.
import { connect, createServer, type Socket } from 'node:net';

/** A Kafka proxy a test cuts and restores. */
export interface KafkaProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones. */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 in front of the broker `target`. */
export async function createKafkaProxy(target: { host: string; port: number }): Promise<KafkaProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let ownPort = 0;
  const advertised = (port: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(port);
    return Buffer.concat([Buffer.from(target.host), b]);
  };

  const server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const from = advertised(target.port);
    const to = advertised(ownPort);
    let pending = Buffer.alloc(0);
    // Responses are size-prefixed frames (Kafka protocol: int32 length, then the body).
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const frame = Buffer.from(pending.subarray(0, 4 + pending.readInt32BE(0)));
        pending = pending.subarray(frame.length);
        for (let i = frame.indexOf(from); i !== -1; i = frame.indexOf(from, i + from.length)) to.copy(frame, i);
        client.write(frame);
      }
    });
    client.on('data', (chunk) => upstream.write(chunk));
    const end = (): void => {
      sockets.delete(client);
      sockets.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ownPort = (server.address() as { port: number }).port;
  return {
    port: ownPort,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise((resolve) => {
        open = false;
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
