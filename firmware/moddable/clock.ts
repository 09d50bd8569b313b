import SNTP from 'sntp';
import Time from 'time';
import Timer, { type TimerHandle } from 'timer';
import type { ClockPort } from 'zenthos/domain/ports';

// Anything before 2024 means the RTC was never set: the ESP32 boots at the epoch.
const plausibleMs = Date.UTC(2024, 0, 1);

/** ClockPort over SNTP (`sntp`), `Time.set` and `Timer`. */
export const createModdableClock = (ntpHosts: readonly string[] = ['pool.ntp.org', 'time.google.com']): ClockPort => {
  let synced = false;
  return {
    nowMs: () => Date.now(),
    synced: () => synced || Date.now() > plausibleMs,
    sync: () =>
      new Promise<void>((resolve, reject) => {
        const sntp = new SNTP({ host: ntpHosts.slice() }, (message, value) => {
          if (message === SNTP.time && value !== undefined) {
            Time.set(value);
            synced = true;
            sntp.close();
            resolve();
          } else if (message === SNTP.error) {
            sntp.close();
            reject(new Error('SNTP gave no time'));
          }
        });
      }),
    schedule: (delayMs, fn) => Timer.set(fn, delayMs),
    cancel: (handle) => Timer.clear(handle as TimerHandle | undefined),
  };
};
