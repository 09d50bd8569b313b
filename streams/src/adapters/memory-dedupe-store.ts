import type { Clock } from '../domain/record';
import type { DedupeStore } from '../domain/dedupe';
import { systemClock } from '../domain/record';

/** An in-process {@link DedupeStore} for unit tests and single-process tools; state dies with the process. */
export function createMemoryDedupeStore(clock: Clock = systemClock): DedupeStore & { size(): number } {
  const marks = new Map<string, { owner: string; expiresAtMs: number }>();
  return {
    async claim(messageId, owner, windowMs) {
      const now = clock.nowMs();
      const mark = marks.get(messageId);
      if (mark && mark.expiresAtMs > now) return { firstSeen: mark.owner === owner };
      marks.set(messageId, { owner, expiresAtMs: now + windowMs });
      return { firstSeen: true };
    },
    size: () => marks.size,
  };
}
