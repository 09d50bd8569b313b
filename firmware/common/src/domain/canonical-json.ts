/**
 * Canonical JSON — THE byte contract between the OTA API (which signs) and the device (which
 * verifies): object keys sorted by UTF-16 code unit order (JavaScript's default sort) at every
 * depth, no whitespace, strings and numbers exactly as `JSON.stringify` writes them, array order
 * kept. The signature is ed25519 over the UTF-8 bytes of this text.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonical JSON has no NaN or Infinity');
    if (value === undefined || typeof value === 'function' || typeof value === 'bigint' || typeof value === 'symbol') {
      throw new TypeError(`canonical JSON cannot encode ${typeof value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((k) => record[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
};
