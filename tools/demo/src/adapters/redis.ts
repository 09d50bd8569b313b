import { Redis } from 'ioredis';
import { restoreFastStringPrototype } from '@zenthos/core';

// ioredis subclasses String: see restoreFastStringPrototype.
restoreFastStringPrototype();

/**
 * Deletes the keys of throw-away prefixes (the processors' dedupe marks `<topic prefix>:*`, the
 * OTA API's cache `<redis prefix>*`), scanning instead of KEYS so a shared Redis is not blocked.
 */
export async function deleteRedisKeys(url: string, patterns: readonly string[]): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  let deleted = 0;
  try {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}
