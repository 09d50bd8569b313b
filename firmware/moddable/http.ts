import { Request } from 'http';
import type { HttpPort, HttpResult } from 'zenthos/domain/ports';

/** `http://host:port/path?query` → parts (XS has no URL class). */
export const parseHttpUrl = (url: string): { host: string; port: number; path: string; secure: boolean } => {
  const m = /^(https?):\/\/([^/:]+)(?::(\d+))?(\/.*)?$/.exec(url);
  if (!m) throw new Error(`unsupported URL ${url}`);
  const secure = m[1] === 'https';
  return { host: m[2]!, port: m[3] ? Number(m[3]) : secure ? 443 : 80, path: m[4] ?? '/', secure };
};

/** TLS for https URLs, when the app includes `securesocket`: `{ Socket, secure }` options. */
export interface ModdableTls {
  readonly Socket: unknown;
  readonly secure?: Readonly<Record<string, unknown>>;
}

/**
 * HttpPort over the Moddable `http` Request, streaming: each `responseFragment` goes to the sink
 * as it arrives, so a 1.5 MB firmware image never sits in RAM. Fragments are chained through one
 * promise so a sink that returns a promise still sees them in order.
 */
export const createModdableHttp = (tls?: ModdableTls): HttpPort => ({
  get(request, sink) {
    const url = parseHttpUrl(request.url);
    const headers: string[] = [];
    for (const [name, value] of Object.entries(request.headers ?? {})) headers.push(name, value);
    return new Promise<HttpResult>((resolve, reject) => {
      let status = 0;
      const responseHeaders: Record<string, string> = {};
      let chain: Promise<void> = Promise.resolve();
      let failed = false;
      const fail = (req: Request, err: unknown): void => {
        if (failed) return;
        failed = true;
        req.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const req = new Request({
        host: url.host,
        port: url.port,
        path: url.path,
        method: 'GET',
        headers,
        ...(url.secure && tls ? { Socket: tls.Socket, ...(tls.secure ? { secure: tls.secure } : {}) } : {}),
      });
      req.callback = function (message, value, etc) {
        if (failed) return;
        if (message === Request.status) status = value as number;
        else if (message === Request.header) responseHeaders[String(value).toLowerCase()] = String(etc);
        else if (message === Request.headersComplete) {
          const result = { status, headers: responseHeaders };
          chain = chain.then(() => sink.onResponse?.(result));
          chain.catch((err: unknown) => fail(this, err));
        } else if (message === Request.responseFragment) {
          const bytes = new Uint8Array(this.read(ArrayBuffer));
          chain = chain.then(() => sink.onChunk(bytes));
          chain.catch((err: unknown) => fail(this, err));
        } else if (message === Request.responseComplete) {
          chain.then(
            () => resolve({ status, headers: responseHeaders }),
            (err: unknown) => fail(this, err),
          );
        } else if (message < 0) {
          // A broken transfer: what arrived stays delivered (the OTA client resumes with Range).
          chain.finally(() => fail(this, new Error(`http error ${message}`)));
        }
      };
    });
  },
});
