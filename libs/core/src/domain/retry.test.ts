import { ZenthosError } from '../errors';
import { backoffDelayMs, retry, withTimeout } from './retry';

const noSleep = async (): Promise<void> => undefined;

describe('backoffDelayMs', () => {
  it.each([
    [1, 1, 100],
    [2, 1, 200],
    [3, 1, 400],
    [20, 1, 10_000],
    [3, 0.5, 200],
    [3, 0, 0],
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(backoffDelayMs(attempt, { random: () => r })).toBe(expected);
  });
});

describe('retry', () => {
  it('retries retriable errors until success', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await retry(
      async () => {
        calls++;
        if (calls < 3) throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', 'down', true);
        return 'ok';
      },
      { sleep: noSleep, random: () => 1, onRetry: (_e, _a, d) => delays.push(d) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toEqual([100, 200]);
  });

  it('stops at once on a non-retriable error', async () => {
    let calls = 0;
    const run = retry(
      async () => {
        calls++;
        throw new ZenthosError('ZEN_SCHEMA_INVALID', 'bad', false);
      },
      { sleep: noSleep },
    );
    await expect(run).rejects.toMatchObject({ code: 'ZEN_SCHEMA_INVALID' });
    expect(calls).toBe(1);
  });

  it('throws the last error when attempts run out', async () => {
    let calls = 0;
    const run = retry(
      async () => {
        calls++;
        throw new ZenthosError('ZEN_TIMEOUT', `try ${calls}`, true);
      },
      { attempts: 4, sleep: noSleep },
    );
    await expect(run).rejects.toMatchObject({ code: 'ZEN_TIMEOUT', message: 'try 4' });
  });
});

describe('withTimeout', () => {
  it('rejects with a retriable ZEN_TIMEOUT', async () => {
    const never = new Promise<void>(() => undefined);
    await expect(withTimeout(never, 10, 'waiting')).rejects.toMatchObject({ code: 'ZEN_TIMEOUT', retriable: true });
  });
});
