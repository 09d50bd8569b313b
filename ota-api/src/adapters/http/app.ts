import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import { SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { isZenthosError, type Logger, type ReadinessCheck } from '@zenthos/core';
import type { DeviceRegistry } from '@zenthos/devices';
import { httpStatusOf } from '../../errors';
import type { ApiTokens } from '../api-tokens';
import type { OtaCache } from '../cache';
import type { DeviceUpdates } from '../device-updates';
import type { GithubWebhook } from '../github-webhook';
import type { ReleaseService } from '../releases';
import type { RolloutService } from '../rollouts';
import type { Keyring } from '../signing-keys';
import { createAuth, type Auth } from './auth';
import { registerDeviceRoutes } from './device-routes';
import { registerManagementRoutes } from './management-routes';
import type { OtaMetrics } from './metrics';
import { openApiDocument } from './openapi';

/** Everything the HTTP layer talks to. */
export interface OtaAppDeps {
  readonly releases: ReleaseService;
  readonly devices: DeviceRegistry;
  readonly deviceUpdates: DeviceUpdates;
  readonly tokens: ApiTokens;
  readonly rollouts: RolloutService;
  readonly keyring: Keyring;
  readonly webhook: GithubWebhook;
  readonly cache: OtaCache;
  readonly metrics: OtaMetrics;
  readonly logger: Logger;
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  readonly maxArtifactBytes: number;
  readonly onlineWindowS: number;
  readonly s3Redirect: boolean;
  /** Where request spans go; the global tracer (no-op without an SDK) by default. */
  readonly tracer?: Tracer;
}

/** What the route modules need from {@link createOtaApp}. */
export interface RouteContext {
  readonly deps: OtaAppDeps;
  readonly auth: Auth;
  /** JSON body parser for routes that take one. */
  readonly json: RequestHandler;
}

/** Builds the express application of the OTA API (spec §5). */
export function createOtaApp(deps: OtaAppDeps): express.Express {
  const { devices, tokens, keyring, metrics, logger } = deps;
  const auth = createAuth(tokens, devices);
  const json = express.json({ limit: '1mb' });
  const tracer = deps.tracer ?? trace.getTracer('@zenthos/ota-api');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  // One span and one count per request (spec §10: zenthos.ota.requests_total{status}).
  app.use((req: Request, res: Response, next: NextFunction) => {
    tracer.startActiveSpan(`ota ${req.method}`, (span) => {
      res.on('finish', () => {
        // The route pattern, not the path: label values must stay few (one per route).
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        metrics.countRequest(res.statusCode, route, req.method);
        span.updateName(`ota ${req.method} ${route}`);
        span.setAttribute('http.request.method', req.method);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
      next();
    });
  });

  // ---- service routes ----
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', ts: Math.floor(Date.now() / 1000) });
  });
  app.get('/ready', async (_req, res) => {
    const results: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => {
        try {
          await check();
          results[name] = 'ok';
        } catch (err) {
          ready = false;
          results[name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: results });
  });
  app.get('/metrics', async (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.render());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  app.get('/keys', async (_req, res) => {
    res.json({ keys: await keyring.list() });
  });

  registerDeviceRoutes(app, { deps, auth, json });
  registerManagementRoutes(app, { deps, auth, json });

  // ---- errors: JSON {code, message}; bad input is never a 500 ----
  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: 'ZEN_NOT_FOUND', message: `no route ${req.method} ${req.path}` });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status: number;
    let body: { code: string; message: string };
    if (isZenthosError(err)) {
      status = httpStatusOf(err.code);
      body = err.toJSON();
    } else if (err instanceof multer.MulterError) {
      status = err.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
      body = { code: 'ZEN_BAD_REQUEST', message: `upload: ${err.message}` };
    } else if (
      typeof (err as { status?: unknown })?.status === 'number' &&
      (err as { status: number }).status >= 400 &&
      (err as { status: number }).status < 500
    ) {
      // body-parser and friends: malformed JSON, too large, bad encoding.
      status = (err as { status: number }).status;
      body = { code: 'ZEN_BAD_REQUEST', message: (err as Error).message };
    } else {
      status = 500;
      body = { code: 'ZEN_INTERNAL', message: 'internal error' };
    }
    if (status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  });
  return app;
}
