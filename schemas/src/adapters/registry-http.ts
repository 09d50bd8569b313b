import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isZenthosError, type Logger } from '@zenthos/core';
import { RegistryError } from '../errors';
import type { RegistryService, SchemaRequest } from '../domain/registry-service';

/** Confluent's response content type. */
export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Largest request body accepted: schemas are small; this bounds memory per request. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

type Params = Record<string, string>;
type Query = URLSearchParams;
type Handler = (p: Params, q: Query, body: () => Promise<unknown>) => unknown;
interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handle: Handler;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const flag = (q: Query, name: string): boolean => q.get(name) === 'true';

const idParam = (p: Params): number => {
  const id = Number(p.id);
  if (!Number.isInteger(id) || id < 0) throw new HttpError(404, 40403, 'Schema not found');
  return id;
};

/** The routes of the Confluent Schema Registry REST API, over a {@link RegistryService}. */
function routes(service: RegistryService): Route[] {
  const r = (method: string, path: string, handle: Handler): Route => {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}/?$`,
    );
    return { method, pattern, names, handle };
  };
  const schemaBody = async (body: () => Promise<unknown>): Promise<SchemaRequest> => (await body()) as SchemaRequest;
  return [
    r('GET', '/', () => ({})),
    r('GET', '/schemas/types', () => service.schemaTypes()),
    r('GET', '/schemas/ids/{id}', (p) => service.schemaById(idParam(p))),
    r('GET', '/schemas/ids/{id}/schema', (p) => ({ raw: service.schemaById(idParam(p)).schema })),
    r('GET', '/schemas/ids/{id}/subjects', (p, q) => service.subjectsOfId(idParam(p), flag(q, 'deleted'))),
    r('GET', '/schemas/ids/{id}/versions', (p, q) => service.versionsOfId(idParam(p), flag(q, 'deleted'))),
    r('GET', '/subjects', (_p, q) => service.listSubjects(flag(q, 'deleted'))),
    r('POST', '/subjects/{subject}', async (p, q, body) => service.lookup(p.subject!, await schemaBody(body), flag(q, 'deleted'))),
    r('DELETE', '/subjects/{subject}', (p, q) => service.deleteSubject(p.subject!, flag(q, 'permanent'))),
    r('GET', '/subjects/{subject}/versions', (p, q) => service.listVersions(p.subject!, flag(q, 'deleted'))),
    r('POST', '/subjects/{subject}/versions', async (p, _q, body) => service.register(p.subject!, await schemaBody(body))),
    r('GET', '/subjects/{subject}/versions/{version}', (p, q) => service.getVersion(p.subject!, p.version!, flag(q, 'deleted'))),
    r('GET', '/subjects/{subject}/versions/{version}/schema', (p, q) => ({
      raw: service.getVersion(p.subject!, p.version!, flag(q, 'deleted')).schema,
    })),
    r('GET', '/subjects/{subject}/versions/{version}/referencedby', (p) => (service.getVersion(p.subject!, p.version!, false), [])),
    r('DELETE', '/subjects/{subject}/versions/{version}', (p, q) => service.deleteVersion(p.subject!, p.version!, flag(q, 'permanent'))),
    r('POST', '/compatibility/subjects/{subject}/versions/{version}', async (p, q, body) =>
      verbose(service.testCompatibility(p.subject!, p.version!, await schemaBody(body)), q),
    ),
    r('POST', '/compatibility/subjects/{subject}/versions', async (p, q, body) =>
      verbose(service.testCompatibility(p.subject!, undefined, await schemaBody(body)), q),
    ),
    r('GET', '/config', () => service.getConfig(undefined, true)),
    r('PUT', '/config', async (_p, _q, body) => service.setConfig(undefined, await body())),
    r('DELETE', '/config', () => service.deleteConfig(undefined)),
    r('GET', '/config/{subject}', (p, q) => service.getConfig(p.subject!, flag(q, 'defaultToGlobal'))),
    r('PUT', '/config/{subject}', async (p, _q, body) => service.setConfig(p.subject!, await body())),
    r('DELETE', '/config/{subject}', (p) => service.deleteConfig(p.subject!)),
    r('GET', '/contexts', () => ['.']),
    r('GET', '/mode', () => ({ mode: 'READWRITE' })),
    r('GET', '/mode/{subject}', () => ({ mode: 'READWRITE' })),
  ];
}

// Confluent answers `{is_compatible}` and adds `messages` only with ?verbose=true.
const verbose = (res: { is_compatible: boolean; messages: string[] }, q: Query): object =>
  flag(q, 'verbose') ? res : { is_compatible: res.is_compatible };

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 413, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(422, 422, 'Request body is empty; expected a JSON object');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 400, `Malformed JSON in request body: ${(e as Error).message}`);
  }
}

/** Options of the request handler. */
export interface RegistryHandlerOptions {
  readonly logger?: Logger;
  /** Extra Prometheus lines for `/metrics` (e.g. store sizes). */
  readonly metrics?: () => string;
}

/**
 * Builds the request handler: Confluent routes, content type and `{error_code, message}` error
 * bodies, plus the `/health`, `/ready` and `/metrics` every Zenthos service serves (Confluent
 * has no routes with those names, so clients are unaffected).
 */
export function createRegistryRequestHandler(
  service: RegistryService,
  options: RegistryHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const { logger } = options;
  const table = routes(service);
  const requestsByStatus = new Map<number, number>();
  const ops = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    if (req.method !== 'GET') return false;
    if (path === '/health' || path === '/ready') {
      // The service only listens once the log is replayed, so answering means ready.
      const body =
        path === '/health' ? { status: 'ok', ts: Math.floor(Date.now() / 1000) } : { status: 'ready', checks: { schemas_log: 'ok' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return true;
    }
    if (path === '/metrics') {
      const lines = [
        '# HELP zenthos_schema_registry_requests_total REST requests answered, by HTTP status.',
        '# TYPE zenthos_schema_registry_requests_total counter',
      ];
      for (const [status, n] of [...requestsByStatus].sort((a, b) => a[0] - b[0])) {
        lines.push(`zenthos_schema_registry_requests_total{status="${status}"} ${n}`);
      }
      const text = `${lines.join('\n')}\n${options.metrics?.() ?? ''}`;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
      return true;
    }
    return false;
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    requestsByStatus.set(status, (requestsByStatus.get(status) ?? 0) + 1);
    const text = typeof body === 'object' && body !== null && 'raw' in body ? String((body as { raw: string }).raw) : JSON.stringify(body);
    res.writeHead(status, { 'content-type': REGISTRY_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://registry');
      const path = url.pathname.replace(/\/+$/, '') || '/';
      let matchedPath = false;
      if (ops(req, res, path)) return;
      try {
        for (const route of table) {
          const m = route.pattern.exec(path);
          if (!m) continue;
          matchedPath = true;
          if (route.method !== req.method) continue;
          const params: Params = {};
          route.names.forEach((name, i) => {
            params[name] = decodeURIComponent(m[i + 1]!);
          });
          const result = await route.handle(params, url.searchParams, () => readJson(req));
          send(res, 200, result);
          return;
        }
        if (matchedPath) throw new HttpError(405, 405, `Method ${req.method} not allowed on ${path}`);
        throw new HttpError(404, 404, `HTTP 404 Not Found: ${path}`);
      } catch (e) {
        if (e instanceof HttpError) return send(res, e.status, { error_code: e.errorCode, message: e.message });
        if (e instanceof RegistryError) return send(res, e.status, { error_code: e.registryErrorCode, message: e.message });
        if (isZenthosError(e, 'ZEN_TIMEOUT')) return send(res, 500, { error_code: 50002, message: e.message });
        logger?.error({ err: e, method: req.method, path }, 'schema registry request failed');
        send(res, 500, { error_code: 50001, message: `Error in the backend data store: ${(e as Error).message}` });
      }
    })();
  };
}

/** A running registry HTTP server. */
export interface RegistryHttpServer {
  readonly server: Server;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the REST API on host:port (port 0 = any free port). */
export async function startRegistryHttpServer(
  service: RegistryService,
  opts: { host: string; port: number } & RegistryHandlerOptions,
): Promise<RegistryHttpServer> {
  const server = createServer(createRegistryRequestHandler(service, opts));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
