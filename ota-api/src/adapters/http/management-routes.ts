import type express from 'express';
import multer from 'multer';
import { ZenthosError } from '@zenthos/core';
import type { RolloutAction } from '../../domain/rollout';
import { parseKind, type ReleaseKind } from '../../domain/versions';
import type { StagedArtifact } from '../artifact-store';
import type { RouteContext } from './app';
import { callerOf } from './auth';
import { param, str } from './params';

/** Management routes: releases, devices, rollouts, webhook outcomes; bearer tokens with scopes read / publish / rollback. */
export function registerManagementRoutes(app: express.Express, { deps, auth, json }: RouteContext): void {
  const { releases, devices, deviceUpdates, rollouts, webhook, cache, metrics } = deps;
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
    // No notification: a new device moves no other device's offer (cohort membership hashes each
    // device id on its own), and the firmware asks `latest` when it starts, before any
    // notification could matter to it.
    const registered = await devices.registerDevice({
      id: str(body.id) ?? '',
      model: str(body.model) ?? '',
      owner: str(body.owner),
      tags: tags as string[] | undefined,
      metadata: metadata as Record<string, unknown> | undefined,
    });
    res.status(201).json(registered);
  });
  app.patch('/devices/:device_id', auth.requireScope('publish'), json, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => k !== 'tags');
    if (unknown.length > 0 || body.tags === undefined)
      throw new ZenthosError('ZEN_BAD_REQUEST', `only tags can be changed${unknown.length > 0 ? `, not ${unknown.join(', ')}` : ''}`);
    const { device } = await deviceUpdates.setTags(param(req, 'device_id'), body.tags);
    res.json(device);
  });
  app.post('/devices/:device_id/token', auth.requireScope('publish'), async (req, res) => {
    const issued = await devices.issueDeviceToken(param(req, 'device_id'));
    res.status(201).json({ device_id: param(req, 'device_id'), token: issued.token, expires_at: issued.expiresAt.toISOString() });
  });
  app.post('/devices/:device_id/revoke', auth.requireScope('rollback'), async (req, res) => {
    // No notification: a revoked device cannot connect to hear one, and no other device's offer
    // depends on it (membership is per device id).
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
}
