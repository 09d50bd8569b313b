import { createPacer, defaultMaxBurst, staggeredStartMs } from './pacing';

describe('createPacer', () => {
  it('spaces one device at devices × 1000 / rate ms', () => {
    const p = createPacer({ ratePerSecond: 1000, devices: 4, startMs: 100, maxBurst: 2 });
    expect(p.intervalMs).toBe(4);
    // Device 0: due at 100, 104, 108, …
    expect(p.take(0, 99.9, 10)).toBe(0);
    expect(p.take(0, 100, 10)).toBe(1);
    expect(p.take(0, 103.9, 10)).toBe(0);
    expect(p.take(0, 104, 10)).toBe(1);
    expect(p.nextDueMs(0)).toBe(108);
  });

  it('staggers the devices evenly over one interval so that together they publish one message every 1000 / rate ms', () => {
    const p = createPacer({ ratePerSecond: 1000, devices: 4, startMs: 0, maxBurst: 2 });
    expect([0, 1, 2, 3].map((d) => p.nextDueMs(d))).toEqual([0, 1, 2, 3]);
    expect(staggeredStartMs(50, 3, 4, 8)).toBe(56);
    // Releasing at every ms over 40 ms: 40 messages in total, each device 10, none twice in one ms.
    const released = [0, 0, 0, 0];
    for (let t = 0; t < 40; t++) {
      let inThisMs = 0;
      for (let d = 0; d < 4; d++) {
        const n = p.take(d, t, 100);
        released[d] = (released[d] as number) + n;
        inThisMs += n;
      }
      expect(inThisMs).toBe(1);
    }
    expect(released).toEqual([10, 10, 10, 10]);
  });

  it('releases what fell due between two ticks at once, up to the burst bound', () => {
    const p = createPacer({ ratePerSecond: 1000, devices: 1, startMs: 0, maxBurst: 3 });
    // Due at 0, 1, 2; a tick at 2.5 releases those three.
    expect(p.take(0, 2.5, 100)).toBe(3);
    expect(p.nextDueMs(0)).toBe(3);
    expect(p.skipped).toBe(0);
  });

  it('skips the slots beyond the burst bound instead of catching up on them', () => {
    const p = createPacer({ ratePerSecond: 1000, devices: 1, startMs: 0, maxBurst: 3 });
    // Due at 0 … 10: eleven slots; only the last three are released, eight are skipped.
    expect(p.take(0, 10, 100)).toBe(3);
    expect(p.skipped).toBe(8);
    expect(p.nextDueMs(0)).toBe(11);
    // Back on pace afterwards.
    expect(p.take(0, 10.5, 100)).toBe(0);
    expect(p.take(0, 11, 100)).toBe(1);
  });

  it('keeps messages due but beyond the room (a full window) due, within the bound', () => {
    const p = createPacer({ ratePerSecond: 1000, devices: 1, startMs: 0, maxBurst: 4 });
    expect(p.take(0, 2, 1)).toBe(1); // due 0, 1, 2: room for one
    expect(p.nextDueMs(0)).toBe(1);
    expect(p.take(0, 2, 0)).toBe(0); // window full
    expect(p.take(0, 2.2, 5)).toBe(2); // room again: the two still due go
    // Held back for long with no room: the backlog shrinks to the bound, the rest is skipped.
    expect(p.take(0, 100, 0)).toBe(0);
    expect(p.skipped).toBe(101 - 3 - 4);
    expect(p.take(0, 100, 10)).toBe(4);
    expect(p.nextDueMs(0)).toBe(101);
  });

  it('never releases more than the room, nor a negative count', () => {
    const p = createPacer({ ratePerSecond: 10_000, devices: 1, startMs: 0, maxBurst: 50 });
    expect(p.take(0, 3, -2)).toBe(0);
    expect(p.take(0, 3, 7)).toBe(7);
  });

  it('refuses a rate or device count that defines no schedule', () => {
    expect(() => createPacer({ ratePerSecond: 0, devices: 1, startMs: 0, maxBurst: 1 })).toThrow(RangeError);
    expect(() => createPacer({ ratePerSecond: Number.NaN, devices: 1, startMs: 0, maxBurst: 1 })).toThrow(RangeError);
    expect(() => createPacer({ ratePerSecond: 10, devices: 0, startMs: 0, maxBurst: 1 })).toThrow(RangeError);
  });
});

describe('defaultMaxBurst', () => {
  it.each([
    [6.25, 4], // 50 devices at 8,000 msg/s: 20 ms of a device's pace
    [2.5, 8], // 50 devices at 20,000 msg/s
    [0.5, 40], // 10 devices at 20,000 msg/s
    [100, 2], // slow devices: still at least 2
  ])('interval %p ms → %p', (intervalMs, expected) => expect(defaultMaxBurst(intervalMs)).toBe(expected));
  it('takes another catch-up time', () => expect(defaultMaxBurst(2.5, 5)).toBe(2));
});
