import { ZenthosError, toZenthosError } from '../errors';

/** How {@link retry} spaces its attempts. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  readonly attempts?: number;
  /** Delay before the second attempt. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Upper bound of one delay. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per attempt. Default 2. */
  readonly factor?: number;
  /** Decides whether an error is worth another attempt. Default: `ZenthosError.retriable`. */
  readonly isRetriable?: (err: unknown) => boolean;
  /** Called before each wait, for logging or counting. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Stops waiting early. */
  readonly signal?: AbortSignal;
  /** Source of randomness for the jitter; injectable for tests. */
  readonly random?: () => number;
  /** How to wait; injectable for tests. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const defaultIsRetriable = (err: unknown): boolean => err instanceof ZenthosError && err.retriable;

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The delay before attempt `attempt + 1`: exponential growth capped at `maxDelayMs`, with
 * "full jitter" (a uniform draw in [0, cap]) so that many clients do not retry in step.
 */
export const backoffDelayMs = (
  attempt: number,
  opts: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'factor' | 'random'> = {},
): number => {
  const initial = opts.initialDelayMs ?? 100;
  const cap = Math.min(opts.maxDelayMs ?? 10_000, initial * (opts.factor ?? 2) ** (attempt - 1));
  return Math.round(cap * (opts.random ?? Math.random)());
};

/**
 * Runs `fn` until it succeeds, a non-retriable error is thrown, or the attempts are used up.
 * The last error is thrown as it was (a ZenthosError keeps its code).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const isRetriable = opts.isRetriable ?? defaultIsRetriable;
  const wait = opts.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetriable(err) || opts.signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt, opts);
      opts.onRetry?.(err, attempt, delayMs);
      await wait(delayMs, opts.signal);
    }
  }
}

/** Rejects with a retriable ZEN_TIMEOUT when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ZenthosError('ZEN_TIMEOUT', `${what} took longer than ${ms} ms`, true)), ms);
      }),
    ]);
  } catch (err) {
    throw toZenthosError(err);
  } finally {
    clearTimeout(timer);
  }
}
