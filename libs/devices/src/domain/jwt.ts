import type { KeyObject } from 'node:crypto';
import { ZenthosError } from '@zenthos/core';
import { signEd25519, verifyEd25519 } from './ed25519';

/** Claims of a device token. */
export interface DeviceTokenClaims {
  readonly iss: string;
  /** The device id. */
  readonly sub: string;
  /** The device model, so topic authorisation needs no database lookup. */
  readonly model: string;
  /** Credential id: the row of `device_credentials` that revocation flips. */
  readonly jti: string;
  /** Issued at, epoch seconds. */
  readonly iat: number;
  /** Expiry, epoch seconds. */
  readonly exp: number;
}

/** Issuer claim of every Zenthos device token. */
export const TOKEN_ISSUER = 'zenthos';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** A compact JWS (RFC 7515) with `alg: EdDSA` (RFC 8037) over the claims. */
export function signDeviceToken(claims: DeviceTokenClaims, privateKey: KeyObject, keyId: string): string {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', typ: 'JWT', kid: keyId }));
  const payload = b64url(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  return `${input}.${b64url(signEd25519(privateKey, input))}`;
}

const invalid = (why: string): ZenthosError => new ZenthosError('ZEN_DEVICE_TOKEN_INVALID', `device token ${why}`);

const parseJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a JWT');
  }
};

const isClaims = (p: unknown): p is DeviceTokenClaims => {
  if (typeof p !== 'object' || p === null) return false;
  const c = p as Record<string, unknown>;
  return (
    typeof c.sub === 'string' &&
    typeof c.model === 'string' &&
    typeof c.jti === 'string' &&
    typeof c.iat === 'number' &&
    typeof c.exp === 'number' &&
    c.iss === TOKEN_ISSUER
  );
};

/**
 * Verifies a device token's signature and expiry (not its revocation, which needs the
 * database). Only `alg: EdDSA` with a known `kid` is accepted: trusting the header's algorithm
 * is the classic JWT forgery (`alg: none`, RS/HS confusion).
 */
export function verifyDeviceTokenSignature(token: string, publicKeys: ReadonlyMap<string, KeyObject>, nowS: number): DeviceTokenClaims {
  if (typeof token !== 'string' || token.length > 4096) throw invalid('is not a JWT');
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('is not a JWT');
  const [h, p, s] = parts as [string, string, string];
  const header = parseJson(h) as { alg?: unknown; kid?: unknown };
  if (header?.alg !== 'EdDSA') throw invalid('uses an algorithm other than EdDSA');
  const key = typeof header.kid === 'string' ? publicKeys.get(header.kid) : undefined;
  if (!key) throw invalid('is signed by an unknown key');
  if (!verifyEd25519(key, `${h}.${p}`, Buffer.from(s, 'base64url'))) throw invalid('signature does not verify');
  const claims = parseJson(p);
  if (!isClaims(claims)) throw invalid('claims are incomplete');
  if (claims.exp <= nowS) throw new ZenthosError('ZEN_DEVICE_TOKEN_EXPIRED', `device token of ${claims.sub} expired`);
  return claims;
}

/** Device ids and models become MQTT topic levels: no `/`, `+`, `#`, spaces or control characters. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
