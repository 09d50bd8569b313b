import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A readiness check: resolves when the dependency is usable, throws otherwise. */
export type ReadinessCheck = () => Promise<void>;

/** Options of {@link createOpsServer}. */
export interface OpsServerOptions {
  readonly port: number;
  readonly host?: string;
  /** Named checks run by `/ready`; all must pass. */
  readonly checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Prometheus text exposition for `/metrics`. */
  readonly metrics?: () => Promise<string> | string;
  /** Extra routes a service serves on the same port; return false when not handled. */
  readonly extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

/** The running server and its bound port (useful with port 0). */
export interface OpsServer {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/**
 * The small HTTP endpoint every Zenthos service exposes: `/health` (liveness: the process
 * answers), `/ready` (readiness: its dependencies answer) and `/metrics` (Prometheus).
 */
export async function createOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const checks = opts.checks ?? {};
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { status: 'ok', ts: Math.floor(Date.now() / 1000) });
      if (req.method === 'GET' && path === '/ready') {
        const results: Record<string, string> = {};
        let ready = true;
        await Promise.all(
          Object.entries(checks).map(async ([name, check]) => {
            try {
              await check();
              results[name] = 'ok';
            } catch (err) {
              ready = false;
              results[name] = err instanceof Error ? err.message : String(err);
            }
          }),
        );
        return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks: results });
      }
      if (req.method === 'GET' && path === '/metrics') {
        const text = opts.metrics ? await opts.metrics() : '';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text);
        return;
      }
      if (opts.extra && (await opts.extra(req, res))) return;
      sendJson(res, 404, { code: 'ZEN_NOT_FOUND', message: `no route ${req.method} ${path}` });
    })().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { code: 'ZEN_INTERNAL', message: err instanceof Error ? err.message : String(err) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
