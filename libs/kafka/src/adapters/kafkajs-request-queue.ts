import { createRequire } from 'node:module';

/**
 * kafkajs 2.2 re-arms a timer on every broker connection after each request, even with no
 * request pending: `throttledUntil - Date.now()` is negative, Node clamps it to 1 ms, and the
 * check runs again a millisecond later, forever (tulios/kafkajs#1704, #1751, open upstream).
 * That costs about 35 ms of CPU per second in every process that keeps a kafkajs client
 * connected (the admin clients of the services, the schema registry), and Node 24 prints a
 * TimeoutNegativeWarning for it. The check only has work when requests are waiting, so it is
 * scheduled only then: after the throttle time the broker asked for, or after the library's
 * own 10 ms interval. A request pushed later schedules its own check, as before.
 */
interface RequestQueueLike {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL. */
const checkIntervalMs = 10;

const patched = Symbol.for('zenthos.kafkajs.requestQueue');

/** kafkajs' internal RequestQueue class (not part of its typed API). */
export const loadRequestQueue = (): { prototype: Partial<RequestQueueLike> & { [patched]?: true } } =>
  createRequire(__filename)('kafkajs/src/network/requestQueue') as { prototype: Partial<RequestQueueLike> & { [patched]?: true } };

/**
 * Schedules the next check of a queue only while it has pending requests. The same logic as
 * kafkajs' own method, minus the timer it sets for an empty queue.
 */
export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
  const throttledMs = this.throttledUntil - Date.now();
  this.throttleCheckTimeoutId = setTimeout(
    () => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    },
    throttledMs > 0 ? throttledMs : checkIntervalMs,
  );
}

/**
 * Replaces the method on kafkajs' RequestQueue once per process. Returns false (and changes
 * nothing) when the installed kafkajs does not have the shape this fix was written for.
 */
export function installRequestQueueFix(): boolean {
  let proto: Partial<RequestQueueLike> & { [patched]?: true };
  try {
    proto = loadRequestQueue().prototype;
  } catch {
    return false;
  }
  if (proto[patched]) return true;
  if (typeof proto.scheduleCheckPendingRequests !== 'function' || typeof proto.checkPendingRequests !== 'function') return false;
  proto.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  proto[patched] = true;
  return true;
}
