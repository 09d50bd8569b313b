import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { ZenthosError, type Logger } from '@zenthos/core';
import type { Pool } from '@zenthos/db';
import { verifyEd25519 } from '@zenthos/devices';
import { parseSha256File, parseSignatureFile, planReleaseAssets, type PlannedAsset } from '../domain/github-release';
import { verifyGithubSignature } from '../domain/webhook-signature';
import { readAll } from './fs-artifact-store';
import type { ReleaseService } from './releases';
import type { Keyring } from './signing-keys';

/** The HTTP answer to a webhook delivery. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A delivery's outcome, as `GET /hooks/github-release/deliveries/{id}` shows it. */
export interface DeliveryView {
  readonly delivery_id: string;
  readonly event: string;
  readonly action: string | null;
  readonly status: 'processing' | 'done' | 'failed' | 'ignored';
  readonly detail: unknown;
  readonly received_at: string;
  readonly finished_at: string | null;
}

/** The GitHub release webhook. */
export interface GithubWebhook {
  /** Verifies, deduplicates and acknowledges at once; downloads and publishing run afterwards. */
  receive(headers: Readonly<Record<string, string | string[] | undefined>>, rawBody: Buffer): Promise<WebhookAnswer>;
  delivery(id: string): Promise<DeliveryView>;
  /** Resolves when every background job has finished (tests, graceful shutdown). */
  idle(): Promise<void>;
}

/** Dependencies of {@link createGithubWebhook}. */
export interface GithubWebhookOptions {
  readonly secret: string | undefined;
  readonly pool: Pool;
  readonly releases: ReleaseService;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /** Sent as a bearer token when downloading assets of private repositories. */
  readonly githubToken?: string | undefined;
  readonly downloadTimeoutMs: number;
  /** A delivery still `processing` after this long was cut off (restart) and may be redelivered. */
  readonly staleAfterMs: number;
  readonly maxArtifactBytes: number;
  readonly fetch?: typeof fetch;
}

const header = (headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Creates the webhook handler. */
export function createGithubWebhook(opts: GithubWebhookOptions): GithubWebhook {
  const doFetch = opts.fetch ?? fetch;
  const jobs = new Set<Promise<void>>();

  const download = async (url: string): Promise<Response> => {
    const res = await doFetch(url, {
      headers: { accept: 'application/octet-stream', ...(opts.githubToken ? { authorization: `Bearer ${opts.githubToken}` } : {}) },
      redirect: 'follow',
      signal: AbortSignal.timeout(opts.downloadTimeoutMs),
    });
    if (!res.ok || !res.body) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `download of ${url} answered ${res.status}`, true);
    return res;
  };
  const small = async (url: string): Promise<Buffer> => {
    const body = Buffer.from(await (await download(url)).arrayBuffer());
    if (body.length > 4096) throw new ZenthosError('ZEN_PAYLOAD_INVALID', `${url} is too large for a checksum or signature`);
    return body;
  };

  const publishAsset = async (asset: PlannedAsset, deliveryId: string): Promise<string> => {
    const res = await download(asset.url);
    const staged = await opts.releases.stage(Readable.fromWeb(res.body as WebReadableStream));
    try {
      if (asset.sha256Url) {
        const expected = parseSha256File((await small(asset.sha256Url)).toString('utf8'));
        if (expected !== staged.sha256)
          throw new ZenthosError('ZEN_OTA_SIGNATURE_INVALID', `${asset.name}: sha256 does not match ${asset.name}.sha256`);
      }
      if (asset.sigUrl) {
        const sig = parseSignatureFile(await small(asset.sigUrl));
        if (!sig) throw new ZenthosError('ZEN_OTA_SIGNATURE_INVALID', `${asset.name}.sig is not an ed25519 signature`);
        const bytes = await readAll(await opts.releases.store.read(staged.tempKey));
        // Only unrevoked keys count: a signature by a revoked key is refused like a bad one.
        const trusted = await opts.keyring.trusted();
        if (!trusted.some(({ key }) => verifyEd25519(key, bytes, sig))) {
          throw new ZenthosError('ZEN_OTA_SIGNATURE_INVALID', `${asset.name}.sig is not a valid signature by a trusted key`);
        }
      }
    } catch (err) {
      await opts.releases.discard(staged);
      throw err;
    }
    await opts.releases.publish({
      kind: asset.kind,
      deviceModel: asset.deviceModel,
      version: asset.version,
      staged,
      source: `github:${deliveryId}`,
    });
    return `${asset.kind} ${asset.deviceModel} ${asset.version}`;
  };

  const processDelivery = async (deliveryId: string, payload: unknown): Promise<void> => {
    const published: string[] = [];
    const skipped: string[] = [];
    const errors: { asset: string; code: string; message: string }[] = [];
    for (const asset of planReleaseAssets(payload)) {
      try {
        published.push(await publishAsset(asset, deliveryId));
      } catch (err) {
        const code = err instanceof ZenthosError ? err.code : 'ZEN_INTERNAL';
        if (code === 'ZEN_CONFLICT') skipped.push(asset.name);
        else errors.push({ asset: asset.name, code, message: (err as Error).message });
      }
    }
    const status = errors.length > 0 ? 'failed' : 'done';
    await opts.pool.query('UPDATE webhook_deliveries SET status = $2, detail = $3, finished_at = now() WHERE delivery_id = $1', [
      deliveryId,
      status,
      JSON.stringify({ published, skipped, errors }),
    ]);
    opts.logger.info({ deliveryId, published, skipped, errors }, 'github release processed');
  };

  return {
    async receive(headers, rawBody) {
      if (!opts.secret) throw new ZenthosError('ZEN_NOT_FOUND', 'the GitHub webhook is not configured (GITHUB_WEBHOOK_SECRET)');
      if (!verifyGithubSignature(opts.secret, rawBody, header(headers, 'x-hub-signature-256'))) {
        throw new ZenthosError('ZEN_WEBHOOK_SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or does not match');
      }
      const deliveryId = header(headers, 'x-github-delivery');
      const event = header(headers, 'x-github-event');
      if (!deliveryId || deliveryId.length > 200 || !event)
        throw new ZenthosError('ZEN_BAD_REQUEST', 'X-GitHub-Delivery and X-GitHub-Event are required');
      // Only release events are read; others (ping, ...) are acknowledged without parsing.
      let payload: { action?: unknown } = {};
      if (event === 'release') {
        try {
          payload = JSON.parse(rawBody.toString('utf8')) as { action?: unknown };
        } catch {
          throw new ZenthosError('ZEN_BAD_REQUEST', 'webhook body is not JSON');
        }
      }
      const action = typeof payload?.action === 'string' ? payload.action : null;
      const relevant = event === 'release' && action === 'published';
      // The delivery id is the idempotency key: a repeated delivery that succeeded, was ignored or
      // is still being processed does nothing. One that failed (an asset could not be fetched or
      // verified), or whose processing was cut off by a restart, may be retried: that is what an
      // operator's "Redeliver" in GitHub asks for, with the same id. Publishing stays idempotent.
      const { rowCount } = await opts.pool.query(
        `INSERT INTO webhook_deliveries (delivery_id, event, action, status, finished_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (delivery_id) DO UPDATE SET status = EXCLUDED.status, detail = NULL, received_at = now(), finished_at = EXCLUDED.finished_at
          WHERE EXCLUDED.status = 'processing'
            AND (webhook_deliveries.status = 'failed'
                 OR (webhook_deliveries.status = 'processing' AND webhook_deliveries.received_at < now() - make_interval(secs => $6)))`,
        [deliveryId, event, action, relevant ? 'processing' : 'ignored', relevant ? null : new Date(), opts.staleAfterMs / 1000],
      );
      if (rowCount === 0) return { status: 200, body: { delivery_id: deliveryId, status: 'duplicate' } };
      if (!relevant) return { status: 200, body: { delivery_id: deliveryId, status: 'ignored' } };
      const job = processDelivery(deliveryId, payload)
        .catch(async (err: unknown) => {
          opts.logger.error({ err, deliveryId }, 'github release processing failed');
          await opts.pool
            .query(`UPDATE webhook_deliveries SET status = 'failed', detail = $2, finished_at = now() WHERE delivery_id = $1`, [
              deliveryId,
              JSON.stringify({ errors: [{ code: 'ZEN_INTERNAL', message: (err as Error).message }] }),
            ])
            .catch(() => undefined);
        })
        .finally(() => jobs.delete(job));
      jobs.add(job);
      return { status: 202, body: { delivery_id: deliveryId, status: 'processing' } };
    },

    async delivery(id) {
      const { rows } = await opts.pool.query<{
        delivery_id: string;
        event: string;
        action: string | null;
        status: DeliveryView['status'];
        detail: unknown;
        received_at: Date;
        finished_at: Date | null;
      }>('SELECT * FROM webhook_deliveries WHERE delivery_id = $1', [id]);
      const r = rows[0];
      if (!r) throw new ZenthosError('ZEN_NOT_FOUND', `no delivery ${id}`);
      return { ...r, received_at: r.received_at.toISOString(), finished_at: r.finished_at?.toISOString() ?? null };
    },

    async idle() {
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
  };
}
