import express, { type Request, type Response } from 'express';
import { ZenthosError } from '@zenthos/core';
import type { DeviceFacts } from '../../domain/rollout';
import { OTA_STATES, type OtaState } from '../../domain/rollout';
import { parseKind, type ReleaseKind } from '../../domain/versions';
import type { RouteContext } from './app';
import { callerOf } from './auth';
import { sendArtifact, wantsBinary } from './download';
import { param, str } from './params';

/** Device routes (spec §5): release metadata and binaries, OTA reports, the GitHub webhook. */
export function registerDeviceRoutes(app: express.Express, { deps, auth, json }: RouteContext): void {
  const { releases, devices, rollouts, webhook } = deps;
  const handleRelease = (kind: ReleaseKind) => async (req: Request, res: Response) => {
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
  app.get('/firmware/:device_model/:version', handleRelease('firmware'));
  app.get('/models/:device_model/:version', handleRelease('model'));

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
    res.status(202).json(await rollouts.report(device, { kind, version, state: state as OtaState, detail: str(body.detail) }));
  });

  app.post('/hooks/github-release', express.raw({ type: () => true, limit: '5mb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await webhook.receive(req.headers, raw);
    res.status(answer.status).json(answer.body);
  });
}
