import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import type { Pool } from '@zenthos/db';
import { API_TOKEN_PATTERN, parseScopes, type Scope } from '../domain/scopes';

/** Who called a management route. */
export interface ApiPrincipal {
  readonly tokenId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/** Bearer tokens of the management API. */
export interface ApiTokens {
  /** Creates a token; the secret is returned once, only its sha256 is stored. */
  create(
    name: string,
    scopes: readonly string[] | string,
    ttlDays?: number,
  ): Promise<{ id: string; token: string; scopes: Scope[]; expires_at: string | null }>;
  /** The principal of a token; ZEN_UNAUTHORIZED when unknown, revoked or expired. */
  authenticate(token: string): Promise<ApiPrincipal>;
  revoke(id: string): Promise<void>;
  list(): Promise<
    { id: string; name: string; scopes: Scope[]; created_at: string; expires_at: string | null; revoked_at: string | null }[]
  >;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** API tokens over the `api_tokens` table. */
export function createApiTokens(pool: Pool): ApiTokens {
  return {
    async create(name, scopes, ttlDays) {
      const list = parseScopes(scopes);
      if (!name || name.length > 200) throw new ZenthosError('ZEN_BAD_REQUEST', 'token name must be 1 to 200 characters');
      const id = randomUUID();
      const token = `zt_${randomBytes(32).toString('base64url')}`;
      const expires = ttlDays ? new Date(Date.now() + ttlDays * 86_400_000) : null;
      await pool.query('INSERT INTO api_tokens (id, name, token_sha256, scopes, expires_at) VALUES ($1, $2, $3, $4, $5)', [
        id,
        name,
        digest(token),
        list,
        expires,
      ]);
      return { id, token, scopes: list, expires_at: expires ? expires.toISOString() : null };
    },

    async authenticate(token) {
      if (!API_TOKEN_PATTERN.test(token)) throw new ZenthosError('ZEN_UNAUTHORIZED', 'not an API token');
      // Looked up by digest: equality on a hash leaks nothing useful through timing.
      const { rows } = await pool.query<{ id: string; name: string; scopes: Scope[] }>(
        `SELECT id, name, scopes FROM api_tokens WHERE token_sha256 = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
        [digest(token)],
      );
      const row = rows[0];
      if (!row) throw new ZenthosError('ZEN_UNAUTHORIZED', 'unknown, revoked or expired API token');
      return { tokenId: row.id, name: row.name, scopes: row.scopes };
    },

    async revoke(id) {
      const { rowCount } = await pool.query('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id::text = $1', [id]);
      if (rowCount === 0) throw new ZenthosError('ZEN_NOT_FOUND', `no API token ${id}`);
    },

    async list() {
      const { rows } = await pool.query<{
        id: string;
        name: string;
        scopes: Scope[];
        created_at: Date;
        expires_at: Date | null;
        revoked_at: Date | null;
      }>('SELECT id, name, scopes, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at');
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        scopes: r.scopes,
        created_at: r.created_at.toISOString(),
        expires_at: r.expires_at?.toISOString() ?? null,
        revoked_at: r.revoked_at?.toISOString() ?? null,
      }));
    },
  };
}
