import { ZenthosError, type ErrorCode } from '@zenthos/core';

/** A public release-signing key as `GET /keys` lists it. */
export interface OtaPublicKey {
  readonly key_id: string;
  readonly public_key_pem: string;
  readonly revoked_at?: string | null;
}

/** What `POST /devices` answers: the token is shown once. */
export interface DeviceCredentials {
  readonly deviceId: string;
  readonly token: string;
}

/** A device's OTA report (`POST /device/{id}/ota-report`). */
export interface OtaReportBody {
  readonly kind: 'firmware' | 'model';
  readonly version: string;
  readonly state: 'downloading' | 'installed' | 'failed' | 'rolled_back';
  readonly detail?: string;
}

/** A rollout as the OTA API shows it (only what the tools read). */
export interface RolloutView {
  readonly id: string;
  readonly status: 'active' | 'paused' | 'aborted' | 'completed';
  readonly current_stage: number;
  readonly stages: readonly { percent: number }[];
  readonly version: string;
  readonly device_model: string;
  readonly reports: Record<string, Partial<Record<OtaReportBody['state'], number>>>;
}

/** The OTA API routes the simulator, the demo and the tests call. */
export interface OtaApiClient {
  readonly baseUrl: string;
  /** Answers when `GET /ready` says 200. */
  ready(): Promise<boolean>;
  listKeys(): Promise<OtaPublicKey[]>;
  /** Registers a device, or issues a new token when it is registered already. */
  registerDevice(input: { id: string; model: string; tags?: readonly string[] }): Promise<DeviceCredentials>;
  /** The device itself reports an OTA state (device token). */
  reportOta(deviceId: string, deviceToken: string, report: OtaReportBody): Promise<void>;
  publishRelease(input: {
    kind: 'firmware' | 'model';
    model: string;
    version: string;
    image: Uint8Array;
    notes?: string;
  }): Promise<unknown>;
  /** The version `latest` offers a device outside any rollout (no device id), or undefined (404). */
  offeredVersion(kind: 'firmware' | 'model', model: string): Promise<string | undefined>;
  /** Versions released for a model (yanked ones included: a version is never published twice). */
  releaseVersions(kind: 'firmware' | 'model', model: string): Promise<string[]>;
  createRollout(input: { model: string; version: string; stages: readonly number[]; kind?: 'firmware' | 'model' }): Promise<RolloutView>;
  getRollout(id: string): Promise<RolloutView>;
  listRollouts(filter: { status?: string; model?: string }): Promise<RolloutView[]>;
  actOnRollout(id: string, action: 'advance' | 'pause' | 'resume' | 'abort', reason?: string): Promise<RolloutView>;
}

const statusCode = (status: number): ErrorCode =>
  status === 400
    ? 'ZEN_BAD_REQUEST'
    : status === 401
      ? 'ZEN_UNAUTHORIZED'
      : status === 403
        ? 'ZEN_FORBIDDEN'
        : status === 404
          ? 'ZEN_NOT_FOUND'
          : status === 409
            ? 'ZEN_CONFLICT'
            : 'ZEN_DEPENDENCY_UNAVAILABLE';

/**
 * A small fetch client of the OTA API (routes of ota-api/src/adapters/http/app.ts). Error
 * answers are `{code, message}` JSON; they become ZenthosErrors with that code when it is one of
 * ours, else one derived from the status.
 */
export function createOtaApiClient(baseUrl: string, managementToken?: string, timeoutMs = 30_000): OtaApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async <T>(
    method: string,
    path: string,
    init: { json?: unknown; form?: FormData; token?: string | undefined; allow404?: boolean } = {},
  ): Promise<T | undefined> => {
    const headers: Record<string, string> = {};
    const token = init.token ?? managementToken;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | FormData | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.form) body = init.form;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined ? {} : { body }),
      });
    } catch (err) {
      throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `OTA API ${method} ${path}: ${(err as Error).message}`, true, { cause: err });
    }
    const text = await res.text();
    if (res.status === 404 && init.allow404) return undefined;
    if (!res.ok) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { code?: string; message?: string };
        message = parsed.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new ZenthosError(statusCode(res.status), `OTA API ${method} ${path}: ${res.status} ${message}`, res.status >= 500);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const must = async <T>(p: Promise<T | undefined>): Promise<T> => (await p) as T;

  return {
    baseUrl: base,
    async ready() {
      try {
        const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return res.ok;
      } catch {
        return false;
      }
    },
    async listKeys() {
      return (await must(call<{ keys: OtaPublicKey[] }>('GET', '/keys'))).keys;
    },
    async registerDevice(input) {
      try {
        const r = await must(call<{ device_id: string; token: string }>('POST', '/devices', { json: input }));
        return { deviceId: r.device_id, token: r.token };
      } catch (err) {
        if (!(err instanceof ZenthosError) || err.code !== 'ZEN_CONFLICT') throw err;
        const r = await must(call<{ device_id: string; token: string }>('POST', `/devices/${encodeURIComponent(input.id)}/token`));
        return { deviceId: r.device_id, token: r.token };
      }
    },
    async reportOta(deviceId, deviceToken, report) {
      await call('POST', `/device/${encodeURIComponent(deviceId)}/ota-report`, { json: report, token: deviceToken });
    },
    async publishRelease(input) {
      const form = new FormData();
      form.set('kind', input.kind);
      form.set('device_model', input.model);
      form.set('version', input.version);
      if (input.notes) form.set('release_notes', input.notes);
      form.set('file', new Blob([new Uint8Array(input.image)]), `${input.model}-${input.version}.bin`);
      return call('POST', '/releases', { form });
    },
    async offeredVersion(kind, model) {
      const r = await call<{ version: string }>(
        'GET',
        `/${kind === 'firmware' ? 'firmware' : 'models'}/${encodeURIComponent(model)}/latest`,
        {
          allow404: true,
        },
      );
      return r?.version;
    },
    async releaseVersions(kind, model) {
      const r = await must(
        call<{ releases: { version: string }[] }>('GET', `/releases?kind=${kind}&device_model=${encodeURIComponent(model)}`),
      );
      return r.releases.map((x) => x.version);
    },
    createRollout(input) {
      return must(
        call<RolloutView>('POST', '/rollouts', {
          json: {
            kind: input.kind ?? 'firmware',
            device_model: input.model,
            version: input.version,
            stages: input.stages.map((percent) => ({ percent, failureThreshold: 0.5, minDevices: 1 })),
          },
        }),
      );
    },
    getRollout(id) {
      return must(call<RolloutView>('GET', `/rollouts/${encodeURIComponent(id)}`));
    },
    async listRollouts(filter) {
      const q = new URLSearchParams();
      if (filter.status) q.set('status', filter.status);
      if (filter.model) q.set('device_model', filter.model);
      return (await must(call<{ rollouts: RolloutView[] }>('GET', `/rollouts?${q.toString()}`))).rollouts;
    },
    actOnRollout(id, action, reason) {
      return must(call<RolloutView>('POST', `/rollouts/${encodeURIComponent(id)}/${action}`, { json: reason ? { reason } : {} }));
    },
  };
}

/**
 * The base64 SPKI DER inside a PEM public key: the form firmware keys are built in with
 * (`zenthos_keys`, firmware/README.md "Keys").
 */
export const pemToBase64Der = (pem: string): string =>
  pem
    .replace(/-----(BEGIN|END) [A-Z ]+-----/g, '')
    .replace(/\s+/g, '')
    .trim();
