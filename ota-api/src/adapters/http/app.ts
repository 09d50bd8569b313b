import express, { type NextFunction, type Request, type Response } from 'express';
import multer from 'multer';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { isZenthosError, ZenthosError, type Logger, type ReadinessCheck } from '@zenthos/core';
import type { DeviceFacts } from '../../domain/rollout';
import { OTA_STATES, type OtaState, type RolloutAction } from '../../domain/rollout';
import { parseKind, type ReleaseKind } from '../../domain/versions';
import { httpStatusOf } from '../../errors';
import type { DeviceRegistry } from '@zenthos/devices';
import type { ApiTokens } from '../api-tokens';
import type { StagedArtifact } from '../artifact-store';
import type { OtaCache } from '../cache';
import type { GithubWebhook } from '../github-webhook';
import type { ReleaseService } from '../releases';
import type { RolloutService } from '../rollouts';
import type { Keyring } from '../signing-keys';
import { callerOf, createAuth } from './auth';
import { sendArtifact, wantsBinary } from './download';
import type { OtaMetrics } from './metrics';
import { openApiDocument } from './openapi';

/** Everything the HTTP layer talks to. */
export interface OtaAppDeps {
  readonly releases: ReleaseService;
  readonly devices: DeviceRegistry;
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
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const param = (req: Request, name: string): string => String(req.params[name] ?? '');

/** Builds the express application of the OTA API (spec §5). */
export function createOtaApp(deps: OtaAppDeps): express.Express {
  const { releases, devices, tokens, rollouts, keyring, webhook, cache, metrics, logger } = deps;
  const auth = createAuth(tokens, devices);
  const json = express.json({ limit: '1mb' });
  // The global tracer: @zenthos/telemetry registers the SDK in `zenthos run ota`; without it
  // spans are no-ops.
  const tracer = trace.getTracer('@zenthos/ota-api');
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

  // ---- device routes (spec §5) ----
  const serveRelease = (kind: ReleaseKind) => async (req: Request, res: Response) => {
    const model = param(req, 'device_model');
    const version = param(req, 'version');
    const caller = await auth.caller(req);
    if (caller?.type === 'device' && caller.device.model !== model) {
      throw new ZenthosError('ZEN_FORBIDDEN', `device ${caller.device.deviceId} is a ${caller.device.model}, not a ${model}`);
    }
    let release;
    if (version === 'latest') {
      const deviceId = caller?.type === 'device' ? caller.device.deviceId : str(req.query.device_id);
      // The device's tags are read only when an open rollout makes them matter.
      const facts = async (): Promise<DeviceFacts | undefined> => {
        if (!deviceId) return undefined;
        const d = await devices.getDevice(deviceId);
        return d && !d.revokedAt ? { id: d.id, model: d.model, tags: d.tags } : undefined;
      };
      release = await releases.latest(kind, model, facts);
      if (!release) throw new ZenthosError('ZEN_NOT_FOUND', `no ${kind} released for ${model}`);
    } else {
      release = await releases.getServable(kind, model, version);
    }
    if (wantsBinary(req)) return sendArtifact(req, res, releases.store, release, deps.s3Redirect);
    const { kind: _k, ...metadata } = release as typeof release & { yanked_at?: unknown; yank_reason?: unknown; source?: unknown };
    const { yanked_at: _y, yank_reason: _r, source: _s, ...body } = metadata;
    res.set('cache-control', 'no-store').json({ kind, ...body });
  };
  app.get('/firmware/:device_model/:version', serveRelease('firmware'));
  app.get('/models/:device_model/:version', serveRelease('model'));

  app.post('/device/:device_id/ota-report', auth.requireDeviceOr(), json, async (req, res) => {
    const caller = callerOf(res);
    const deviceId = param(req, 'device_id');
    if (caller?.type !== 'device' || caller.device.deviceId !== deviceId)
      throw new ZenthosError('ZEN_FORBIDDEN', 'a device reports only for itself');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const kind = body.kind === undefined ? 'firmware' : parseKind(body.kind);
    const state = str(body.state);
    const version = str(body.version);
    if (!state || !OTA_STATES.includes(state as OtaState))
      throw new ZenthosError('ZEN_BAD_REQUEST', `state must be one of ${OTA_STATES.join(', ')}`);
    if (!version) throw new ZenthosError('ZEN_BAD_REQUEST', 'version is required');
    const device = await devices.getDevice(deviceId);
    if (!device) throw new ZenthosError('ZEN_NOT_FOUND', `device ${deviceId} is not registered`);
    const outcome = await rollouts.report(device, { kind, version, state: state as OtaState, detail: str(body.detail) });
    await cache.setDeviceState(deviceId, { kind, version, state, rollout_id: outcome.rollout_id, reported_at: new Date().toISOString() });
    res.status(202).json(outcome);
  });

  app.post('/hooks/github-release', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await webhook.receive(req.headers, raw);
    res.status(answer.status).json(answer.body);
  });

  // ---- management routes (scopes read / publish / rollback) ----
  app.get('/hooks/github-release/deliveries/:delivery_id', auth.requireScope('read'), async (req, res) => {
    res.json(await webhook.delivery(param(req, 'delivery_id')));
  });

  const upload = multer({
    storage: {
      _handleFile(_req, file, cb) {
        releases.stage(file.stream).then((staged) => cb(null, { staged } as never), cb);
      },
      _removeFile(_req, file, cb) {
        const staged = (file as unknown as { staged?: StagedArtifact }).staged;
        (staged ? releases.discard(staged) : Promise.resolve()).then(() => cb(null), cb);
      },
    },
    limits: { files: 1, fileSize: deps.maxArtifactBytes, fields: 20, fieldSize: 64 * 1024 },
  }).single('file');

  app.post('/releases', auth.requireScope('publish'), upload, async (req, res) => {
    const staged = (req.file as unknown as { staged?: StagedArtifact } | undefined)?.staged;
    if (!staged) throw new ZenthosError('ZEN_BAD_REQUEST', 'a multipart "file" part is required');
    const body = (req.body ?? {}) as Record<string, unknown>;
    let kind: ReleaseKind;
    try {
      kind = parseKind(body.kind ?? 'firmware');
    } catch (err) {
      await releases.discard(staged);
      throw err;
    }
    const release = await releases.publish({
      kind,
      deviceModel: str(body.device_model) ?? '',
      version: str(body.version) ?? '',
      releaseNotes: str(body.release_notes),
      staged,
      source: 'upload',
    });
    metrics.countPublish(kind);
    res.status(201).json(release);
  });
  app.get('/releases', auth.requireScope('read'), async (req, res) => {
    const kind = req.query.kind === undefined ? undefined : parseKind(req.query.kind);
    res.json({
      releases: await releases.list({
        kind,
        deviceModel: str(req.query.device_model),
        includeYanked: req.query.include_yanked !== 'false',
      }),
    });
  });
  app.get('/releases/:kind/:device_model/:version', auth.requireScope('read'), async (req, res) => {
    const kind = parseKind(param(req, 'kind'));
    const rel = await releases.get(kind, param(req, 'device_model'), param(req, 'version'));
    if (!rel) throw new ZenthosError('ZEN_NOT_FOUND', `no ${kind} ${param(req, 'device_model')} ${param(req, 'version')}`);
    res.json(rel);
  });
  app.post('/releases/:kind/:device_model/:version/yank', auth.requireScope('rollback'), json, async (req, res) => {
    const reason = str((req.body as Record<string, unknown> | undefined)?.reason);
    res.json(await releases.yank(parseKind(param(req, 'kind')), param(req, 'device_model'), param(req, 'version'), reason));
  });

  app.get('/devices', auth.requireScope('read'), async (req, res) => {
    res.json({ devices: await devices.listDevices({ model: str(req.query.model), tag: str(req.query.tag) }) });
  });
  app.post('/devices', auth.requireScope('publish'), json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const tags = body.tags;
    if (tags !== undefined && (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')))
      throw new ZenthosError('ZEN_BAD_REQUEST', 'tags must be a list of strings');
    const metadata = body.metadata;
    if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
      throw new ZenthosError('ZEN_BAD_REQUEST', 'metadata must be an object');
    }
    const registered = await devices.registerDevice({
      id: str(body.id) ?? '',
      model: str(body.model) ?? '',
      owner: str(body.owner),
      tags: tags as string[] | undefined,
      metadata: metadata as Record<string, unknown> | undefined,
    });
    res.status(201).json(registered);
  });
  app.post('/devices/:device_id/token', auth.requireScope('publish'), async (req, res) => {
    const issued = await devices.issueDeviceToken(param(req, 'device_id'));
    res.status(201).json({ device_id: param(req, 'device_id'), token: issued.token, expires_at: issued.expiresAt.toISOString() });
  });
  app.post('/devices/:device_id/revoke', auth.requireScope('rollback'), async (req, res) => {
    await devices.revokeDevice(param(req, 'device_id'));
    res.json({ device_id: param(req, 'device_id'), revoked: true });
  });
  app.get('/device/:device_id/status', auth.requireDeviceOr('read'), async (req, res) => {
    const caller = callerOf(res);
    const id = param(req, 'device_id');
    if (caller?.type === 'device' && caller.device.deviceId !== id)
      throw new ZenthosError('ZEN_FORBIDDEN', 'a device sees only its own status');
    const d = await devices.getDevice(id);
    if (!d) throw new ZenthosError('ZEN_NOT_FOUND', `device ${id} is not registered`);
    const facts = { id: d.id, model: d.model, tags: d.tags };
    const [ota, inRollouts, latestFirmware, latestModel] = await Promise.all([
      cache.getDeviceState(id),
      rollouts.deviceRollouts(id),
      d.revokedAt ? null : releases.latest('firmware', d.model, facts).catch(() => null),
      d.revokedAt ? null : releases.latest('model', d.model, facts).catch(() => null),
    ]);
    res.json({
      device_id: d.id,
      model: d.model,
      owner: d.owner,
      tags: d.tags,
      created_at: d.createdAt.toISOString(),
      last_seen: d.lastSeen?.toISOString() ?? null,
      online: d.lastSeen !== null && Date.now() - d.lastSeen.getTime() < deps.onlineWindowS * 1000,
      firmware_version: d.firmwareVersion,
      model_version: d.modelVersion,
      revoked: d.revokedAt !== null,
      ota: ota ?? null,
      rollouts: inRollouts,
      latest: { firmware: latestFirmware?.version ?? null, model: latestModel?.version ?? null },
    });
  });

  app.get('/rollouts', auth.requireScope('read'), async (req, res) => {
    res.json({ rollouts: await rollouts.list({ status: str(req.query.status), deviceModel: str(req.query.device_model) }) });
  });
  app.post('/rollouts', auth.requireScope('publish'), json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.status(201).json(
      await rollouts.create({
        kind: body.kind ?? 'firmware',
        device_model: body.device_model,
        version: body.version,
        cohort: body.cohort,
        stages: body.stages,
      }),
    );
  });
  app.get('/rollouts/:rollout_id', auth.requireScope('read'), async (req, res) => {
    res.json(await rollouts.get(param(req, 'rollout_id')));
  });
  const actions: Record<RolloutAction, 'publish' | 'rollback'> = {
    pause: 'rollback',
    abort: 'rollback',
    resume: 'publish',
    advance: 'publish',
  };
  for (const [action, scope] of Object.entries(actions) as [RolloutAction, 'publish' | 'rollback'][]) {
    app.post(`/rollouts/:rollout_id/${action}`, auth.requireScope(scope), json, async (req, res) => {
      const reason = str((req.body as Record<string, unknown> | undefined)?.reason);
      res.json(await rollouts.act(param(req, 'rollout_id'), action, reason));
    });
  }

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
