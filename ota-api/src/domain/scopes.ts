import { ZenthosError } from '@zenthos/core';

/**
 * Management scopes (spec §15 RBAC): `read` sees everything, `publish` adds releases, devices
 * and rollouts and moves them forward, `rollback` stops and undoes (yank, pause, abort, revoke).
 */
export type Scope = 'read' | 'publish' | 'rollback';
/** Every {@link Scope}. */
export const SCOPES: readonly Scope[] = ['read', 'publish', 'rollback'];

/** Parses `read,publish` into scopes; ZEN_BAD_REQUEST for an unknown one. */
export function parseScopes(value: string | readonly string[]): Scope[] {
  const list = (typeof value === 'string' ? value.split(',') : [...value]).map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new ZenthosError('ZEN_BAD_REQUEST', `at least one scope is needed (${SCOPES.join(', ')})`);
  for (const s of list) {
    if (!(SCOPES as readonly string[]).includes(s)) throw new ZenthosError('ZEN_BAD_REQUEST', `unknown scope ${s} (${SCOPES.join(', ')})`);
  }
  return [...new Set(list as Scope[])];
}

/** API tokens are `zt_` + 43 base64url characters (32 random bytes). */
export const API_TOKEN_PATTERN = /^zt_[A-Za-z0-9_-]{43}$/;
