import type { Readable } from 'node:stream';
import { ZenthosError } from '@zenthos/core';
import { withTransaction, type Pool, type PoolClient, type Queryable } from '@zenthos/db';
import { DEVICE_ID_PATTERN } from '@zenthos/devices';
import { canonicalManifest, signManifest, verifyManifest, type Manifest } from '../domain/manifest';
import { resolveLatest, routePrefixOf, storageKeyOf, type LatestContext, type ReleaseView } from '../domain/release';
import type { Cohort, DeviceFacts, Rollout, RolloutStatus, Stage } from '../domain/rollout';
import { requireValidVersion, type ReleaseKind } from '../domain/versions';
import type { ArtifactStore, StagedArtifact } from './artifact-store';
import type { OtaCache } from './cache';
import type { Keyring } from './signing-keys';
import { offerLockOrder } from '../domain/notifications';
import { createNoNotifier, type ChangeNotifier, type PendingNotification } from './notifier';

/** A release as management routes list it. */
export interface ReleaseRecord extends ReleaseView {
  readonly yanked_at: string | null;
  readonly yank_reason: string | null;
  readonly source: string;
}

/** Input of {@link ReleaseService.publish}. */
export interface PublishInput {
  readonly kind: ReleaseKind;
  readonly deviceModel: string;
  readonly version: string;
  readonly releaseNotes?: string | undefined;
  readonly staged: StagedArtifact;
  /** `upload`, `cli` or `github:<delivery id>`. */
  readonly source?: string | undefined;
}

/**
 * Points where tests stop a publish to prove it is atomic. `beforeCommit` runs after the
 * artifact is under its final name and the row is inserted, but not committed.
 */
export interface PublishHooks {
  readonly beforeCommit?: (ctx: { readonly backendPid: number }) => Promise<void>;
}

/** Releases of firmware and models: publish, read, list, yank, resolve `latest`. */
export interface ReleaseService {
  /** Stages an upload; hand the result to {@link publish}. */
  stage(body: Readable): Promise<StagedArtifact>;
  /** Signs and publishes atomically; ZEN_CONFLICT if the version exists (the staged file is discarded). */
  publish(input: PublishInput, hooks?: PublishHooks): Promise<ReleaseRecord>;
  /** Discards a staged upload that will not be published. */
  discard(staged: StagedArtifact): Promise<void>;
  /** One release, yanked or not; undefined when absent. */
  get(kind: ReleaseKind, deviceModel: string, version: string): Promise<ReleaseRecord | undefined>;
  /** A release a device may use: present, not yanked, key not revoked, signature intact. */
  getServable(kind: ReleaseKind, deviceModel: string, version: string): Promise<ReleaseRecord>;
  list(filter: {
    kind?: ReleaseKind | undefined;
    deviceModel?: string | undefined;
    includeYanked?: boolean | undefined;
  }): Promise<ReleaseRecord[]>;
  yank(kind: ReleaseKind, deviceModel: string, version: string, reason?: string): Promise<ReleaseRecord>;
  /**
   * Revokes a release-signing key: releases it signed are refused to devices from now on, and
   * the devices whose offered release that moves are notified in the same transaction (a
   * rollback, like a yank, for every model the key signed for). ZEN_NOT_FOUND for an unknown id.
   */
  revokeKey(keyId: string): Promise<{ readonly notified: number }>;
  /**
   * `latest` for a device (or for anybody when `device` is undefined). A function is called
   * only when an open rollout needs the device's facts, saving a lookup on most requests.
   */
  latest(
    kind: ReleaseKind,
    deviceModel: string,
    device: DeviceFacts | undefined | (() => Promise<DeviceFacts | undefined>),
  ): Promise<ReleaseView | null>;
  /** The context behind `latest`, from the cache or Postgres. */
  latestContext(kind: ReleaseKind, deviceModel: string): Promise<LatestContext>;
  /**
   * The context behind `latest` as `db` sees it, never from the cache: inside a transaction it
   * includes that transaction's own uncommitted changes (the notifier compares before and after).
   */
  loadContext(kind: ReleaseKind, deviceModel: string, db: Queryable): Promise<LatestContext>;
  readonly store: ArtifactStore;
}

/** Dependencies of {@link createReleaseService}. */
export interface ReleaseServiceOptions {
  readonly pool: Pool;
  readonly store: ArtifactStore;
  readonly keyring: Keyring;
  readonly cache: OtaCache;
  /** Base URL of this API, for `binary_url`. */
  readonly publicUrl: string;
  readonly maxArtifactBytes: number;
  /** Lifetime written into manifests. */
  readonly manifestTtlDays: number;
  readonly now?: () => Date;
  /** Tells devices whose offer a publish or yank changed; none by default. */
  readonly notifier?: ChangeNotifier;
}

interface ReleaseRow {
  kind: ReleaseKind;
  device_model: string;
  version: string;
  sha256: string;
  signature: string;
  uploaded_at: Date;
  size: string;
  key_id: string;
  manifest: string;
  release_notes: string | null;
  yanked_at: Date | null;
  yank_reason: string | null;
  source: string;
  storage_key: string;
}

/** A (kind, model) whose offers a change may move. */
interface OfferScope {
  readonly kind: ReleaseKind;
  readonly deviceModel: string;
}

/** Thrown inside a key revocation's transaction to start it over with more models locked. */
class RevocationWidened {
  constructor(readonly scopes: readonly OfferScope[]) {}
}

// A revocation starts over when a publish signed by the key commits while it waits for the key
// row; more than a few in a row means publishes keep racing it, and the operator retries.
const REVOKE_ATTEMPTS = 5;

const tableOf = (kind: ReleaseKind): string => (kind === 'firmware' ? 'firmware_releases' : 'model_releases');
const COLUMNS =
  'kind, device_model, version, sha256, signature, uploaded_at, size, key_id, manifest, release_notes, yanked_at, yank_reason, source, storage_key';

/** Throws ZEN_BAD_REQUEST for a device model that cannot be a path or topic level. */
export function requireValidModel(deviceModel: string): void {
  if (typeof deviceModel !== 'string' || !DEVICE_ID_PATTERN.test(deviceModel)) {
    throw new ZenthosError('ZEN_BAD_REQUEST', `device model must match ${DEVICE_ID_PATTERN.source}`);
  }
}

/** The release service over Postgres, an artifact store and the keyring. */
export function createReleaseService(opts: ReleaseServiceOptions): ReleaseService {
  const { pool, store, keyring, cache } = opts;
  const notifier = opts.notifier ?? createNoNotifier();
  const now = opts.now ?? (() => new Date());
  const base = opts.publicUrl.replace(/\/+$/, '');

  const toRecord = (r: ReleaseRow): ReleaseRecord => ({
    kind: r.kind,
    device_model: r.device_model,
    version: r.version,
    binary_url: `${base}/${routePrefixOf(r.kind)}/${encodeURIComponent(r.device_model)}/${encodeURIComponent(r.version)}?download=true`,
    sha256: r.sha256,
    signature: r.signature,
    uploaded_at: r.uploaded_at.toISOString(),
    size: Number(r.size),
    key_id: r.key_id,
    manifest: r.manifest,
    release_notes: r.release_notes,
    yanked_at: r.yanked_at ? r.yanked_at.toISOString() : null,
    yank_reason: r.yank_reason,
    source: r.source,
  });
  const toView = (r: ReleaseRecord): ReleaseView => ({
    kind: r.kind,
    device_model: r.device_model,
    version: r.version,
    binary_url: r.binary_url,
    sha256: r.sha256,
    signature: r.signature,
    uploaded_at: r.uploaded_at,
    size: r.size,
    key_id: r.key_id,
    manifest: r.manifest,
    release_notes: r.release_notes,
  });

  const getRow = async (db: Queryable, kind: ReleaseKind, deviceModel: string, version: string): Promise<ReleaseRow | undefined> => {
    const { rows } = await db.query<ReleaseRow>(`SELECT ${COLUMNS} FROM ${tableOf(kind)} WHERE device_model = $1 AND version = $2`, [
      deviceModel,
      version,
    ]);
    return rows[0];
  };

  const loadContext = async (kind: ReleaseKind, deviceModel: string, db: Queryable = pool): Promise<LatestContext> => {
    const table = tableOf(kind);
    // A release whose most recent rollout is unfinished (active, paused or aborted) is not the
    // general latest: only a completed rollout, or none at all, releases it to everybody.
    const general = await db.query<ReleaseRow>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `r.${c}`)
        .join(', ')}
         FROM ${table} r JOIN signing_keys k ON k.key_id = r.key_id
        WHERE r.device_model = $1 AND r.yanked_at IS NULL AND k.revoked_at IS NULL
          AND coalesce((SELECT o.status FROM rollouts o WHERE o.kind = $2 AND o.device_model = r.device_model AND o.version = r.version
                         ORDER BY o.created_at DESC LIMIT 1), 'completed') = 'completed'
        ORDER BY r.uploaded_at DESC, r.version DESC LIMIT 1`,
      [deviceModel, kind],
    );
    const open = await db.query<
      ReleaseRow & { rollout_id: string; cohort: Cohort; stages: Stage[]; current_stage: number; status: RolloutStatus }
    >(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `r.${c}`)
        .join(', ')}, o.id AS rollout_id, o.cohort, o.stages, o.current_stage, o.status
         FROM rollouts o
         JOIN ${table} r ON r.device_model = o.device_model AND r.version = o.version
         JOIN signing_keys k ON k.key_id = r.key_id
        WHERE o.kind = $2 AND o.device_model = $1 AND o.status IN ('active', 'paused') AND r.yanked_at IS NULL AND k.revoked_at IS NULL
        ORDER BY o.created_at`,
      [deviceModel, kind],
    );
    return {
      general: general.rows[0] ? toView(toRecord(general.rows[0])) : null,
      rollouts: open.rows.map((row) => {
        const rollout: Rollout = {
          id: row.rollout_id,
          kind,
          deviceModel,
          version: row.version,
          cohort: row.cohort,
          stages: row.stages,
          currentStage: row.current_stage,
          status: row.status,
        };
        return { rollout, release: toView(toRecord(row)) };
      }),
    };
  };

  // Re-checked on every answer (the public key is cached briefly): a manifest edited in the
  // database, or one signed by a key revoked since, must not reach a device.
  // Good (key id, signature, manifest) triples already checked: the key's revocation is looked
  // up every time, the signature arithmetic only once per triple.
  const goodSignatures = new Set<string>();
  const assertSigned = async (rel: ReleaseView): Promise<void> => {
    const what = `${rel.kind} ${rel.device_model} ${rel.version}`;
    const key = await keyring.lookup(rel.key_id);
    if (!key || key.revoked) throw new ZenthosError('ZEN_OTA_KEY_REVOKED', `${what} is signed by revoked key ${rel.key_id}`);
    const triple = `${rel.key_id}\n${rel.signature}\n${rel.manifest}`;
    if (goodSignatures.has(triple)) return;
    if (!verifyManifest(rel.manifest, rel.signature, key.key))
      throw new ZenthosError('ZEN_OTA_SIGNATURE_INVALID', `${what} does not match its signature`);
    if (goodSignatures.size >= 10_000) goodSignatures.clear();
    goodSignatures.add(triple);
  };

  const service: ReleaseService = {
    store,

    stage: (body) => store.stage(body, opts.maxArtifactBytes),

    discard: async (staged) => {
      await store.remove(staged.tempKey).catch(() => undefined);
    },

    async publish(input, hooks = {}) {
      const { kind, deviceModel, version, staged } = input;
      let client: PoolClient | undefined;
      let promotedKey: string | undefined;
      let broken = false;
      const onClientError = (): void => {
        broken = true;
      };
      try {
        requireValidModel(deviceModel);
        requireValidVersion(kind, version);
        if (staged.size === 0) throw new ZenthosError('ZEN_BAD_REQUEST', 'artifact is empty');
        const key = keyring.active;
        if (!key) throw new ZenthosError('ZEN_CONFIG_INVALID', 'no signing key configured');
        const createdAt = now();
        const manifest: Manifest = {
          kind,
          device_model: deviceModel,
          version,
          size: staged.size,
          sha256: staged.sha256,
          key_id: key.keyId,
          created_at: createdAt.toISOString(),
          expires_at: new Date(createdAt.getTime() + opts.manifestTtlDays * 86_400_000).toISOString(),
        };
        const canonical = canonicalManifest(manifest);
        const signature = signManifest(canonical, key.privateKey);
        const storageKey = storageKeyOf(kind, deviceModel, version);

        client = await pool.connect();
        // A checked-out client reports a lost connection as an 'error' event; unheard, that
        // event would end the process. The failing query rejects as well, so just note it.
        client.on('error', onClientError);
        await client.query('BEGIN');
        const pending = await notifier.prepare(client, kind, deviceModel);
        const k = await client.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM signing_keys WHERE key_id = $1 FOR SHARE', [
          key.keyId,
        ]);
        if (k.rows.length === 0) throw new ZenthosError('ZEN_CONFIG_INVALID', `signing key ${key.keyId} is not registered`);
        if (k.rows[0]?.revoked_at) throw new ZenthosError('ZEN_OTA_KEY_REVOKED', `signing key ${key.keyId} is revoked`);
        // The primary key's row lock also serialises two publishes of one version: the second
        // waits here until the first commits or rolls back, so only one of them ever renames.
        const inserted = await client.query(
          `INSERT INTO ${tableOf(kind)} (kind, device_model, version, binary_url, sha256, signature, release_notes, uploaded_at, size, key_id, manifest, storage_key, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (device_model, version) DO NOTHING`,
          [
            kind,
            deviceModel,
            version,
            `${base}/${routePrefixOf(kind)}/${deviceModel}/${version}?download=true`,
            staged.sha256,
            signature,
            input.releaseNotes ?? null,
            createdAt,
            staged.size,
            key.keyId,
            canonical,
            storageKey,
            input.source ?? 'upload',
          ],
        );
        if (inserted.rowCount === 0) throw new ZenthosError('ZEN_CONFLICT', `${kind} ${deviceModel} ${version} is already published`);
        // Atomic publish (spec §11): the artifact takes its final name while the row is still
        // uncommitted, so nobody can see the row before the bytes, and a crash before COMMIT
        // leaves no row at all (an orphan file under the final name is replaced by the next
        // publish of that version and never served without a row).
        await store.promote(staged.tempKey, storageKey);
        promotedKey = storageKey;
        // Kafka holds the notifications before the release is visible: a crash between the two
        // costs a spurious notification, never a missing one.
        await pending.send('published');
        if (hooks.beforeCommit) await hooks.beforeCommit({ backendPid: (client as unknown as { processID: number }).processID });
        await client.query('COMMIT');
      } catch (err) {
        if (client) await client.query('ROLLBACK').catch(() => undefined);
        if (promotedKey) {
          // A COMMIT whose answer was lost may still have committed: look before deleting.
          const exists = await getRow(pool, kind, deviceModel, version).catch(() => 'unknown' as const);
          if (exists === undefined) await store.remove(promotedKey).catch(() => undefined);
        } else {
          await store.remove(staged.tempKey).catch(() => undefined);
        }
        throw err;
      } finally {
        client?.off('error', onClientError);
        // A broken connection is destroyed rather than handed to the next caller.
        client?.release(broken || undefined);
      }
      await cache.invalidateLatest(kind, deviceModel);
      const row = await getRow(pool, kind, deviceModel, version);
      return toRecord(row as ReleaseRow);
    },

    async get(kind, deviceModel, version) {
      const row = await getRow(pool, kind, deviceModel, version);
      return row ? toRecord(row) : undefined;
    },

    async getServable(kind, deviceModel, version) {
      requireValidModel(deviceModel);
      requireValidVersion(kind, version);
      const rel = await service.get(kind, deviceModel, version);
      if (!rel) throw new ZenthosError('ZEN_NOT_FOUND', `no ${kind} ${deviceModel} ${version}`);
      if (rel.yanked_at) throw new ZenthosError('ZEN_OTA_RELEASE_YANKED', `${kind} ${deviceModel} ${version} was yanked`);
      await assertSigned(rel);
      return rel;
    },

    async list(filter) {
      const kinds: ReleaseKind[] = filter.kind ? [filter.kind] : ['firmware', 'model'];
      const out: ReleaseRecord[] = [];
      for (const kind of kinds) {
        const { rows } = await pool.query<ReleaseRow>(
          `SELECT ${COLUMNS} FROM ${tableOf(kind)} WHERE ($1::text IS NULL OR device_model = $1) AND ($2 OR yanked_at IS NULL)
            ORDER BY device_model, uploaded_at DESC LIMIT 1000`,
          [filter.deviceModel ?? null, filter.includeYanked ?? true],
        );
        out.push(...rows.map(toRecord));
      }
      return out;
    },

    async yank(kind, deviceModel, version, reason) {
      const rowCount = await withTransaction(pool, async (client) => {
        const pending = await notifier.prepare(client, kind, deviceModel);
        const updated = await client.query(
          `UPDATE ${tableOf(kind)} SET yanked_at = now(), yank_reason = $3 WHERE device_model = $1 AND version = $2 AND yanked_at IS NULL`,
          [deviceModel, version, reason ?? null],
        );
        // A rollback: devices offered the yanked release are offered the one before it.
        if (updated.rowCount !== 0) await pending.send('yanked');
        return updated.rowCount;
      });
      if (rowCount === 0) {
        const existing = await service.get(kind, deviceModel, version);
        if (!existing) throw new ZenthosError('ZEN_NOT_FOUND', `no ${kind} ${deviceModel} ${version}`);
        throw new ZenthosError('ZEN_CONFLICT', `${kind} ${deviceModel} ${version} is already yanked`);
      }
      await cache.invalidateLatest(kind, deviceModel);
      return (await service.get(kind, deviceModel, version)) as ReleaseRecord;
    },

    async revokeKey(keyId) {
      const sameScope = (a: OfferScope, b: OfferScope): boolean => a.kind === b.kind && a.deviceModel === b.deviceModel;
      const union = (a: readonly OfferScope[], b: readonly OfferScope[]): OfferScope[] => [
        ...a,
        ...b.filter((x) => !a.some((y) => sameScope(x, y))),
      ];
      // Only releases a device can be offered matter: yanked ones are offered to nobody already.
      const signedBy = async (db: Queryable): Promise<OfferScope[]> => {
        const { rows } = await db.query<{ kind: ReleaseKind; device_model: string }>(
          `SELECT DISTINCT kind, device_model FROM firmware_releases WHERE key_id = $1 AND yanked_at IS NULL
           UNION SELECT DISTINCT kind, device_model FROM model_releases WHERE key_id = $1 AND yanked_at IS NULL`,
          [keyId],
        );
        return rows.map((r) => ({ kind: r.kind, deviceModel: r.device_model }));
      };
      let known: OfferScope[] = [];
      for (let attempt = 1; ; attempt++) {
        try {
          const notified = await withTransaction(pool, async (client) => {
            const scopes = offerLockOrder(union(known, await signedBy(client)));
            const pending: PendingNotification[] = [];
            for (const scope of scopes) pending.push(await notifier.prepare(client, scope.kind, scope.deviceModel));
            await keyring.revoke(keyId, client);
            // A publish signing with this key holds the key row (FOR SHARE) until it commits, so the
            // UPDATE above waited for it; its model, if new, was neither locked nor snapshotted.
            // Start over with it (releasing everything keeps the one lock order). Later publishes
            // see the key revoked and fail.
            const added = (await signedBy(client)).filter((x) => !scopes.some((y) => sameScope(x, y)));
            if (added.length > 0) throw new RevocationWidened(union(scopes, added));
            // A rollout of a release this key signed can never offer it again: it ends here rather
            // than block the model's next rollout (one open per model and kind). No offer moves by
            // it: `latest` already skips releases of revoked keys.
            await client.query(
              `UPDATE rollouts o SET status = 'aborted', status_reason = $2, updated_at = now()
                WHERE o.status IN ('active', 'paused') AND EXISTS (
                  SELECT 1 FROM firmware_releases r WHERE o.kind = 'firmware' AND r.device_model = o.device_model AND r.version = o.version AND r.key_id = $1
                  UNION ALL
                  SELECT 1 FROM model_releases r WHERE o.kind = 'model' AND r.device_model = o.device_model AND r.version = o.version AND r.key_id = $1)`,
              [keyId, `signing key ${keyId} revoked`],
            );
            let count = 0;
            for (const p of pending) count += await p.send('key_revoked');
            return count;
          });
          keyring.forget(keyId);
          await cache.invalidateAllLatest();
          return { notified };
        } catch (err) {
          if (!(err instanceof RevocationWidened)) throw err;
          if (attempt >= REVOKE_ATTEMPTS)
            throw new ZenthosError(
              'ZEN_CONFLICT',
              `releases signed by key ${keyId} kept being published during its revocation; try again`,
              true,
            );
          known = [...err.scopes];
        }
      }
    },

    loadContext: (kind, deviceModel, db) => loadContext(kind, deviceModel, db),

    async latestContext(kind, deviceModel) {
      const cached = await cache.getLatest(kind, deviceModel);
      if (cached) return cached;
      const context = await loadContext(kind, deviceModel);
      await cache.setLatest(kind, deviceModel, context);
      return context;
    },

    async latest(kind, deviceModel, device) {
      requireValidModel(deviceModel);
      const context = await service.latestContext(kind, deviceModel);
      const facts = typeof device === 'function' ? (context.rollouts.length > 0 ? await device() : undefined) : device;
      const release = resolveLatest(context, facts);
      if (release) await assertSigned(release);
      return release;
    },
  };
  return service;
}
