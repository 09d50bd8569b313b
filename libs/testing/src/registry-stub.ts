import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running in-process registry. */
export interface RegistryStub {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The few Confluent Schema Registry routes a serde needs (register, lookup by id, latest
 * version), in memory. For integration tests on machines where `zenthos run registry` is not
 * running; ids are global and the same schema text always gets the same id, as in Confluent's.
 */
export async function startRegistryStub(): Promise<RegistryStub> {
  const ids = new Map<string, number>();
  const texts: string[] = [];
  const versions = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const send = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify(value));
      };
      const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
      const byId = /^\/schemas\/ids\/(\d+)$/.exec(path);
      if (req.method === 'GET' && byId) {
        const text = texts[Number(byId[1]) - 1];
        return text === undefined ? send(404, { error_code: 40403, message: 'Schema not found' }) : send(200, { schema: text });
      }
      const subjectPath = /^\/subjects\/([^/]+)(\/versions)?(?:\/(latest|\d+))?$/.exec(path);
      if (subjectPath) {
        const subject = subjectPath[1] as string;
        if (req.method === 'POST') {
          const schema = (JSON.parse(body || '{}') as { schema?: string }).schema ?? '';
          const text = JSON.stringify(JSON.parse(schema));
          let id = ids.get(text);
          if (id === undefined) {
            texts.push(text);
            id = texts.length;
            ids.set(text, id);
          }
          const list = versions.get(subject) ?? [];
          if (!list.includes(id)) list.push(id);
          versions.set(subject, list);
          return send(200, subjectPath[2] ? { id } : { subject, version: list.indexOf(id) + 1, id, schema: text });
        }
        const list = versions.get(subject);
        if (!list || list.length === 0) return send(404, { error_code: 40401, message: `Subject '${subject}' not found.` });
        const wanted = subjectPath[3] === undefined || subjectPath[3] === 'latest' ? list.length : Number(subjectPath[3]);
        const id = list[wanted - 1];
        if (id === undefined) return send(404, { error_code: 40402, message: `Version ${wanted} not found.` });
        return send(200, { subject, version: wanted, id, schema: texts[id - 1] });
      }
      if (req.method === 'GET' && path === '/subjects') return send(200, [...versions.keys()]);
      send(404, { error_code: 404, message: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The registry at `url` when it answers, else a fresh in-process stub; `close` stops only what
 * this call started.
 */
export async function ensureSchemaRegistry(url: string): Promise<RegistryStub> {
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/subjects`, { signal: AbortSignal.timeout(1_000) });
    if (res.ok) return { url, close: async () => undefined };
  } catch {
    // not running: fall through to the stub
  }
  return startRegistryStub();
}
