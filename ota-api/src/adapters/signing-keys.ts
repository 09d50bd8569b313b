import type { KeyObject } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import type { Pool, Queryable } from '@zenthos/db';
import { keyIdOf, parseEd25519PublicKey, type Ed25519Key } from '@zenthos/devices';

/** A signing key as `GET /keys` shows it. */
export interface SigningKeyInfo {
  readonly key_id: string;
  readonly algorithm: 'ed25519';
  readonly public_key_pem: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
  /** True for the key that signs new releases in this process. */
  readonly active: boolean;
}

/** The release-signing keys: one active private key, every public key ever used. */
export interface Keyring {
  /** The key that signs new manifests, if this process may sign. */
  readonly active: Ed25519Key | undefined;
  /** Records the active key's public half (idempotent); ZEN_OTA_KEY_REVOKED if it was revoked. */
  register(): Promise<void>;
  /** Adds a public key only (e.g. the CI key that signs GitHub release assets). */
  addPublicKey(pem: string): Promise<string>;
  list(): Promise<SigningKeyInfo[]>;
  /**
   * Marks a key revoked inside `db`'s transaction: its signatures are refused once that commits;
   * ZEN_NOT_FOUND for an unknown id. Revoke through ReleaseService.revokeKey, which also tells
   * the devices whose offered release this moves; it calls {@link forget} after COMMIT.
   */
  revoke(keyId: string, db: Queryable): Promise<void>;
  /** Drops this process's cached lookup of a key, so a committed revocation applies at once. */
  forget(keyId: string): void;
  /** A public key and whether it is revoked (cached briefly: this is on every device request). */
  lookup(keyId: string): Promise<{ key: KeyObject; revoked: boolean } | undefined>;
  /** Every unrevoked public key. */
  trusted(): Promise<{ keyId: string; key: KeyObject }[]>;
}

interface KeyRow {
  key_id: string;
  public_key_pem: string;
  created_at: Date;
  revoked_at: Date | null;
}

/** A keyring over the `signing_keys` table. */
export function createKeyring(pool: Pool, active: Ed25519Key | undefined, cacheMs = 2_000): Keyring {
  const cache = new Map<string, { until: number; value: { key: KeyObject; revoked: boolean } | undefined }>();
  const pemOf = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();

  return {
    active,

    async register() {
      if (!active) return;
      await pool.query('INSERT INTO signing_keys (key_id, public_key_pem) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING', [
        active.keyId,
        pemOf(active.publicKey),
      ]);
      const { rows } = await pool.query<{ revoked_at: Date | null }>('SELECT revoked_at FROM signing_keys WHERE key_id = $1', [
        active.keyId,
      ]);
      if (rows[0]?.revoked_at) throw new ZenthosError('ZEN_OTA_KEY_REVOKED', `signing key ${active.keyId} is revoked; configure a new one`);
    },

    async addPublicKey(pem) {
      const key = parseEd25519PublicKey(pem);
      const keyId = keyIdOf(key);
      await pool.query('INSERT INTO signing_keys (key_id, public_key_pem) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING', [
        keyId,
        pemOf(key),
      ]);
      return keyId;
    },

    async list() {
      const { rows } = await pool.query<KeyRow>(
        'SELECT key_id, public_key_pem, created_at, revoked_at FROM signing_keys ORDER BY created_at, key_id',
      );
      return rows.map((r) => ({
        key_id: r.key_id,
        algorithm: 'ed25519' as const,
        public_key_pem: r.public_key_pem,
        created_at: r.created_at.toISOString(),
        revoked_at: r.revoked_at ? r.revoked_at.toISOString() : null,
        active: r.key_id === active?.keyId,
      }));
    },

    async revoke(keyId, db) {
      const { rowCount } = await db.query('UPDATE signing_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1', [keyId]);
      if (rowCount === 0) throw new ZenthosError('ZEN_NOT_FOUND', `no signing key ${keyId}`);
      cache.delete(keyId);
    },

    forget(keyId) {
      cache.delete(keyId);
    },

    async lookup(keyId) {
      const hit = cache.get(keyId);
      if (hit && hit.until > Date.now()) return hit.value;
      const { rows } = await pool.query<KeyRow>(
        'SELECT key_id, public_key_pem, created_at, revoked_at FROM signing_keys WHERE key_id = $1',
        [keyId],
      );
      const row = rows[0];
      const value = row ? { key: parseEd25519PublicKey(row.public_key_pem), revoked: row.revoked_at !== null } : undefined;
      cache.set(keyId, { until: Date.now() + cacheMs, value });
      return value;
    },

    async trusted() {
      const { rows } = await pool.query<KeyRow>('SELECT key_id, public_key_pem FROM signing_keys WHERE revoked_at IS NULL');
      return rows.map((r) => ({ keyId: r.key_id, key: parseEd25519PublicKey(r.public_key_pem) }));
    },
  };
}
