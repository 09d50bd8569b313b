/**
 * The `exp` claim (epoch seconds, RFC 7519 §4.1.4) of a compact JWS, in epoch milliseconds, or
 * undefined when absent or unreadable. Read only from a token whose signature was already
 * verified at CONNECT, so a live session can be closed when its token expires without
 * verifying the signature again.
 */
export function tokenExpiresAtMs(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
