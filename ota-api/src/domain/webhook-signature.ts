import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/;

/**
 * GitHub's `X-Hub-Signature-256` check: `sha256=` + hex HMAC-SHA256 of the raw body with the
 * webhook secret. Anything else (missing header, the legacy sha1 header alone, wrong length,
 * upper-case or non-hex digits) is refused before comparing; the comparison itself is
 * constant-time so the answer time leaks nothing about the expected digest.
 */
export function verifyGithubSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string') return false;
  const m = HEADER.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1] as string, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  // timingSafeEqual throws on different lengths; the regex already fixed it at 32 bytes.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The header value GitHub would send for `rawBody` (for tests and local tooling). */
export const githubSignature = (secret: string, rawBody: Buffer | string): string =>
  `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
