import { randomUUID, type KeyObject } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import { withTransaction, type Pool, type Queryable } from '@zenthos/db';
import { DEVICE_ID_PATTERN, TOKEN_ISSUER, signDeviceToken, verifyDeviceTokenSignature, type DeviceTokenClaims } from '../domain/jwt';
import { keyIdOf } from '../domain/ed25519';
import type { Ed25519Key } from './key-file';

/** A row of the device registry. */
export interface DeviceRecord {
  readonly id: string;
  readonly model: string;
  readonly owner: string | null;
  readonly tags: readonly string[];
  readonly metadata: Record<string, unknown> | null;
  readonly createdAt: Date;
  readonly lastSeen: Date | null;
  readonly firmwareVersion: string | null;
  readonly modelVersion: string | null;
  readonly revokedAt: Date | null;
}

/** What registering a device answers: the token is shown once and never stored. */
export interface RegisteredDevice {
  readonly device_id: string;
  readonly model: string;
  readonly token: string;
}

/** A freshly issued device token. */
export interface IssuedToken {
  readonly token: string;
  readonly credentialId: string;
  readonly expiresAt: Date;
}

/** Who a valid device token belongs to. */
export interface DeviceIdentity {
  readonly deviceId: string;
  readonly model: string;
  readonly credentialId: string;
}

/** Input of {@link DeviceRegistry.registerDevice}. */
export interface NewDevice {
  readonly id: string;
  readonly model: string;
  readonly owner?: string | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly metadata?: Record<string, unknown> | undefined;
  readonly firmwareVersion?: string | undefined;
}

/** The device registry and its credentials. */
export interface DeviceRegistry {
  /** Inserts a device and issues its first token; ZEN_CONFLICT when the id exists. */
  registerDevice(input: NewDevice): Promise<RegisteredDevice>;
  /** Issues another token for a registered, unrevoked device (rotation). */
  issueDeviceToken(deviceId: string): Promise<IssuedToken>;
  /**
   * Signature, expiry and revocation check, in that order; answers from memory except for a
   * revocation lookup per credential every `revocationCacheMs`. Throws ZEN_DEVICE_TOKEN_INVALID,
   * ZEN_DEVICE_TOKEN_EXPIRED or ZEN_DEVICE_REVOKED.
   */
  verifyDeviceToken(token: string): Promise<DeviceIdentity>;
  /**
   * The revocation check, fresh from Postgres (no cache): which of these credential ids
   * (token `jti`s) are revoked, belong to a revoked device, or are not on record. Meant for
   * periodic re-checks of live sessions, in batches of any size.
   */
  revokedCredentials(credentialIds: readonly string[]): Promise<Set<string>>;
  /** Revokes the device and every credential it has; ZEN_NOT_FOUND for an unknown id. */
  revokeDevice(deviceId: string): Promise<void>;
  getDevice(deviceId: string): Promise<DeviceRecord | undefined>;
  listDevices(filter?: { model?: string | undefined; tag?: string | undefined; limit?: number | undefined }): Promise<DeviceRecord[]>;
  /** The id of the key that signs new tokens, if this registry may sign. */
  readonly signingKeyId: string | undefined;
}

/** Dependencies of {@link createDeviceRegistry}. */
export interface DeviceRegistryOptions {
  readonly pool: Pool;
  /** Needed to issue tokens; a verify-only registry (the MQTT bridge) leaves it out. */
  readonly signingKey?: Ed25519Key | undefined;
  /** Keys accepted when verifying, by key id; the signing key is added automatically. */
  readonly publicKeys?: readonly KeyObject[];
  readonly tokenTtlS: number;
  readonly revocationCacheMs: number;
  /** Epoch milliseconds; injectable for expiry tests. */
  readonly now?: () => number;
}

interface DeviceRow {
  id: string;
  model: string;
  owner: string | null;
  tags: string[];
  metadata: Record<string, unknown> | null;
  created_at: Date;
  last_seen: Date | null;
  firmware_version: string | null;
  model_version: string | null;
  revoked_at: Date | null;
}

const toRecord = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  model: r.model,
  owner: r.owner,
  tags: r.tags,
  metadata: r.metadata,
  createdAt: r.created_at,
  lastSeen: r.last_seen,
  firmwareVersion: r.firmware_version,
  modelVersion: r.model_version,
  revokedAt: r.revoked_at,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEVICE_COLUMNS = 'id, model, owner, tags, metadata, created_at, last_seen, firmware_version, model_version, revoked_at';
// Past this many cached credentials the cache starts over: bounded memory under a flood of
// distinct (possibly forged but well-signed, i.e. leaked) tokens.
const MAX_CACHED_CREDENTIALS = 50_000;

type RevocationState = 'ok' | 'revoked' | 'unknown';

/** Creates the registry over Postgres (tables of @zenthos/db's migrations). */
export function createDeviceRegistry(options: DeviceRegistryOptions): DeviceRegistry {
  const { pool, signingKey, tokenTtlS, revocationCacheMs } = options;
  const now = options.now ?? Date.now;
  const publicKeys = new Map<string, KeyObject>();
  for (const k of options.publicKeys ?? []) publicKeys.set(keyIdOf(k), k);
  if (signingKey) publicKeys.set(signingKey.keyId, signingKey.publicKey);
  const revocations = new Map<string, { until: number; state: Promise<RevocationState> }>();
  // Tokens whose signature was already checked: a device reconnects with the same token, and a
  // signature check costs far more than the rest of a CONNECT. Expiry and revocation are still
  // checked on every call.
  const verified = new Map<string, DeviceTokenClaims>();

  const requireValidId = (label: string, value: string): void => {
    if (typeof value !== 'string' || !DEVICE_ID_PATTERN.test(value)) {
      throw new ZenthosError('ZEN_BAD_REQUEST', `${label} must match ${DEVICE_ID_PATTERN.source}`);
    }
  };

  const issue = async (db: Queryable, deviceId: string, model: string): Promise<IssuedToken> => {
    if (!signingKey) throw new ZenthosError('ZEN_CONFIG_INVALID', 'this registry has no private key to issue device tokens');
    const credentialId = randomUUID();
    const iat = Math.floor(now() / 1000);
    const exp = iat + tokenTtlS;
    await db.query(
      'INSERT INTO device_credentials (id, device_id, kind, key_id, issued_at, expires_at) VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($6))',
      [credentialId, deviceId, 'jwt', signingKey.keyId, iat, exp],
    );
    const token = signDeviceToken(
      { iss: TOKEN_ISSUER, sub: deviceId, model, jti: credentialId, iat, exp },
      signingKey.privateKey,
      signingKey.keyId,
    );
    return { token, credentialId, expiresAt: new Date(exp * 1000) };
  };

  const lookupRevocation = async (credentialId: string): Promise<RevocationState> => {
    const { rows } = await pool.query<{ revoked: boolean }>(
      `SELECT (c.revoked_at IS NOT NULL OR d.revoked_at IS NOT NULL) AS revoked
         FROM device_credentials c JOIN devices d ON d.id = c.device_id WHERE c.id = $1`,
      [credentialId],
    );
    if (rows.length === 0) return 'unknown';
    return rows[0]?.revoked ? 'revoked' : 'ok';
  };

  const revocationOf = (credentialId: string): Promise<RevocationState> => {
    const t = now();
    const hit = revocations.get(credentialId);
    if (hit && hit.until > t) return hit.state;
    if (revocations.size >= MAX_CACHED_CREDENTIALS) revocations.clear();
    // The promise itself is cached, so a burst of CONNECTs with one token makes one query.
    const state = lookupRevocation(credentialId);
    revocations.set(credentialId, { until: t + revocationCacheMs, state });
    state.catch(() => revocations.delete(credentialId));
    return state;
  };

  return {
    signingKeyId: signingKey?.keyId,

    async registerDevice(input) {
      requireValidId('device id', input.id);
      requireValidId('device model', input.model);
      const tags = [...(input.tags ?? [])];
      for (const tag of tags) requireValidId('tag', tag);
      return withTransaction(pool, async (client) => {
        const inserted = await client.query(
          `INSERT INTO devices (id, model, owner, tags, metadata, firmware_version) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO NOTHING`,
          [input.id, input.model, input.owner ?? null, tags, input.metadata ?? null, input.firmwareVersion ?? null],
        );
        if (inserted.rowCount === 0) throw new ZenthosError('ZEN_CONFLICT', `device ${input.id} is already registered`);
        const { token } = await issue(client, input.id, input.model);
        return { device_id: input.id, model: input.model, token };
      });
    },

    async issueDeviceToken(deviceId) {
      const device = await this.getDevice(deviceId);
      if (!device) throw new ZenthosError('ZEN_NOT_FOUND', `device ${deviceId} is not registered`);
      if (device.revokedAt) throw new ZenthosError('ZEN_DEVICE_REVOKED', `device ${deviceId} is revoked`);
      return issue(pool, device.id, device.model);
    },

    async verifyDeviceToken(token) {
      const nowS = Math.floor(now() / 1000);
      let claims = verified.get(token);
      if (!claims) {
        claims = verifyDeviceTokenSignature(token, publicKeys, nowS);
        if (verified.size >= MAX_CACHED_CREDENTIALS) verified.clear();
        verified.set(token, claims);
      } else if (claims.exp <= nowS) {
        throw new ZenthosError('ZEN_DEVICE_TOKEN_EXPIRED', `device token of ${claims.sub} expired`);
      }
      const state = await revocationOf(claims.jti);
      if (state === 'revoked') throw new ZenthosError('ZEN_DEVICE_REVOKED', `credentials of device ${claims.sub} are revoked`);
      if (state === 'unknown') throw new ZenthosError('ZEN_DEVICE_TOKEN_INVALID', `device token of ${claims.sub} is not on record`);
      return { deviceId: claims.sub, model: claims.model, credentialId: claims.jti };
    },

    async revokedCredentials(credentialIds) {
      const revoked = new Set<string>();
      const ids = credentialIds.filter((id) => UUID.test(id));
      for (const id of credentialIds) if (!UUID.test(id)) revoked.add(id);
      for (let i = 0; i < ids.length; i += 5_000) {
        const batch = ids.slice(i, i + 5_000);
        const { rows } = await pool.query<{ id: string }>(
          `SELECT c.id::text AS id FROM device_credentials c JOIN devices d ON d.id = c.device_id
            WHERE c.id = ANY($1::uuid[]) AND c.revoked_at IS NULL AND d.revoked_at IS NULL`,
          [batch],
        );
        const valid = new Set(rows.map((r) => r.id));
        for (const id of batch) if (!valid.has(id.toLowerCase())) revoked.add(id);
      }
      return revoked;
    },

    async revokeDevice(deviceId) {
      await withTransaction(pool, async (client) => {
        const { rowCount } = await client.query('UPDATE devices SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1', [deviceId]);
        if (rowCount === 0) throw new ZenthosError('ZEN_NOT_FOUND', `device ${deviceId} is not registered`);
        await client.query('UPDATE device_credentials SET revoked_at = now() WHERE device_id = $1 AND revoked_at IS NULL', [deviceId]);
      });
      // This process stops accepting the device at once; others within revocationCacheMs.
      revocations.clear();
    },

    async getDevice(deviceId) {
      const { rows } = await pool.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [deviceId]);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async listDevices(filter = {}) {
      const { rows } = await pool.query<DeviceRow>(
        `SELECT ${DEVICE_COLUMNS} FROM devices
          WHERE ($1::text IS NULL OR model = $1) AND ($2::text IS NULL OR $2 = ANY(tags))
          ORDER BY id LIMIT $3`,
        [filter.model ?? null, filter.tag ?? null, Math.min(filter.limit ?? 1000, 10_000)],
      );
      return rows.map(toRecord);
    },
  };
}
