import { installRequestQueueFix, loadRequestQueue, scheduleCheckPendingRequests } from './kafkajs-request-queue';

/** A queue with the fields the method reads, counting the checks it runs. */
const queue = (pending: number, throttledUntil = -1) => {
  const q = {
    pending: Array.from({ length: pending }, () => ({})),
    throttledUntil,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    checks: 0,
    checkPendingRequests() {
      q.checks++;
    },
    scheduleCheckPendingRequests,
  };
  return q;
};

describe('scheduleCheckPendingRequests', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sets no timer for an empty queue (kafkajs re-armed a 1 ms timer forever)', () => {
    const q = queue(0);
    q.scheduleCheckPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('checks a queue with pending requests after the library interval', () => {
    const q = queue(2);
    q.scheduleCheckPendingRequests();
    q.scheduleCheckPendingRequests(); // one timer at a time
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(9);
    expect(q.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(q.checks).toBe(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('waits out a broker throttle before checking', () => {
    const q = queue(1, Date.now() + 500);
    q.scheduleCheckPendingRequests();
    jest.advanceTimersByTime(499);
    expect(q.checks).toBe(0);
    jest.advanceTimersByTime(1);
    expect(q.checks).toBe(1);
  });
});

describe('installRequestQueueFix', () => {
  it('replaces the method of the installed kafkajs, once', () => {
    expect(installRequestQueueFix()).toBe(true);
    expect(installRequestQueueFix()).toBe(true);
    expect(loadRequestQueue().prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
  });
});
