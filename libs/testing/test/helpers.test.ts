import { createServer, connect, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createTcpProxy, startRegistryStub } from '../src';

const echoServer = async (): Promise<Server> => {
  const server = createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};

const roundTrip = (port: number, text: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(text));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
  });

describe('createTcpProxy', () => {
  it('forwards, refuses while cut, and forwards again after restore on the same port', async () => {
    const echo = await echoServer();
    const proxy = await createTcpProxy((echo.address() as AddressInfo).port);
    try {
      expect(await roundTrip(proxy.port, 'one')).toBe('one');
      await proxy.cut();
      await expect(roundTrip(proxy.port, 'two')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await proxy.restore();
      expect(await roundTrip(proxy.port, 'three')).toBe('three');
      expect(proxy.connections).toBe(2);
    } finally {
      await proxy.close();
      echo.close();
    }
  });
});

describe('startRegistryStub', () => {
  it('gives one id per schema text and serves it back by id and as the latest version', async () => {
    const stub = await startRegistryStub();
    try {
      const post = async (subject: string, schema: string): Promise<{ id: number }> =>
        (await fetch(`${stub.url}/subjects/${subject}/versions`, { method: 'POST', body: JSON.stringify({ schema }) })).json() as Promise<{
          id: number;
        }>;
      const a = await post('a-value', '{"type": "string"}');
      const b = await post('b-value', '{"type":"string"}');
      const c = await post('a-value', '"long"');
      expect(a.id).toBe(b.id);
      expect(c.id).not.toBe(a.id);
      const byId = (await (await fetch(`${stub.url}/schemas/ids/${a.id}`)).json()) as { schema: string };
      expect(JSON.parse(byId.schema)).toEqual({ type: 'string' });
      const latest = (await (await fetch(`${stub.url}/subjects/a-value/versions/latest`)).json()) as { id: number; version: number };
      expect(latest).toMatchObject({ id: c.id, version: 2 });
      expect((await fetch(`${stub.url}/schemas/ids/999`)).status).toBe(404);
    } finally {
      await stub.close();
    }
  });
});
