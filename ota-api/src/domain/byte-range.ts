/** A satisfiable single byte range, inclusive bounds (RFC 9110 §14.1.2). */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses one `Range: bytes=...` against an artifact of `size` bytes. Answers `undefined` when
 * the header is absent or not a single bytes range (then the whole body is sent, as RFC 9110
 * allows), or `'unsatisfiable'` (→ 416). ESP32 resumable downloads use `bytes=N-`.
 */
export function parseByteRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [first, last] = [m[1] as string, m[2] as string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
