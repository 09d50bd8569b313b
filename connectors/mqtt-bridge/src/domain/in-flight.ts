/** Bounds concurrent work: `acquire` resolves when a slot is free; call the returned release once. */
export interface InFlightLimiter {
  acquire(): Promise<() => void>;
  /** A slot at once (its release), or undefined when none is free: saves a promise per message. */
  tryAcquire(): (() => void) | undefined;
  /** Slots in use. */
  readonly active: number;
  /** Callers waiting for a slot. */
  readonly waiting: number;
}

/**
 * A counting semaphore. The bridge holds a slot from receiving a PUBLISH until Kafka answers;
 * while none is free aedes does not read further from that socket (it reads the next chunk
 * only once every packet of the current one is handled), so a slow Kafka stops the reading of
 * sockets instead of growing memory.
 */
export function createInFlightLimiter(max: number): InFlightLimiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError('max must be a positive integer');
  let active = 0;
  const queue: Array<() => void> = [];
  const release = (): void => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };
  const once = (): (() => void) => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    tryAcquire() {
      if (active >= max) return undefined;
      active++;
      return once();
    },
    acquire() {
      if (active < max) {
        active++;
        return Promise.resolve(once());
      }
      // The slot passes straight from the releaser to the waiter, so `active` stays unchanged.
      return new Promise((resolve) => queue.push(() => resolve(once())));
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
