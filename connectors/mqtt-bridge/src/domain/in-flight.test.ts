import { createInFlightLimiter } from './in-flight';

describe('createInFlightLimiter', () => {
  it('holds callers beyond the limit until a slot is released', async () => {
    const limiter = createInFlightLimiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    let third = false;
    const c = limiter.acquire().then((release) => {
      third = true;
      return release;
    });
    await Promise.resolve();
    expect([limiter.active, limiter.waiting, third]).toEqual([2, 1, false]);
    a();
    a(); // a second release of the same slot is ignored
    const releaseC = await c;
    expect([limiter.active, limiter.waiting, third]).toEqual([2, 0, true]);
    b();
    releaseC();
    expect(limiter.active).toBe(0);
  });

  it('tryAcquire takes a free slot at once and none when all are taken', async () => {
    const limiter = createInFlightLimiter(1);
    const a = limiter.tryAcquire();
    expect(a).toBeInstanceOf(Function);
    expect(limiter.tryAcquire()).toBeUndefined();
    const waiter = limiter.acquire();
    (a as () => void)();
    // The freed slot went to the waiter, not to a later tryAcquire.
    expect(limiter.tryAcquire()).toBeUndefined();
    (await waiter)();
    expect(limiter.active).toBe(0);
  });

  it.each([0, -1, 1.5])('refuses a limit of %p', (max) => {
    expect(() => createInFlightLimiter(max)).toThrow(RangeError);
  });
});
