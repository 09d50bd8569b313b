import type { RandomPort } from './ports';
import { hexEncode } from './bytes';

/** RFC 9562 UUID version 4 from 16 random bytes: version nibble 4, variant bits 10. */
export const uuidV4 = (random: RandomPort): string => {
  const b = random.bytes(16);
  if (b.length !== 16) throw new RangeError('random port returned the wrong number of bytes');
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = hexEncode(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

/** Matches a lower-case UUIDv4 as produced by {@link uuidV4}. */
export const uuidV4Pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
