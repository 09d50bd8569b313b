import { z } from 'zod';
import { ZenthosError } from './errors';

/**
 * Builders for environment variables. Every value in the environment is a string, so each
 * builder parses and checks the text; defaults are the local stack's addresses (DESIGN.md).
 */
export const env = {
  /** A string, with an optional default. */
  string: (fallback?: string) => (fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback)),
  /** An absolute URL whose scheme is one of `protocols` (without the colon). */
  url: (protocols: readonly string[], fallback?: string) => {
    const schema = z.string().refine(
      (s) => {
        try {
          return protocols.includes(new URL(s).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      },
      { message: `must be a URL with scheme ${protocols.join(' or ')}` },
    );
    return fallback === undefined ? schema : schema.default(fallback);
  },
  /** An integer in [min, max]. */
  int: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z
      .string()
      .regex(/^-?\d+$/, { message: 'must be an integer' })
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(fallback),
  /** A TCP port. */
  port: (fallback: number) => env.int(fallback, 1, 65535),
  /** `true/false/1/0/yes/no`. */
  bool: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((s) => s === 'true' || s === '1' || s === 'yes')
      .default(fallback),
  /** A comma-separated list of `host:port`. */
  hostPorts: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((s) =>
        s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      )
      .refine((list) => list.length > 0 && list.every((hp) => /^[^\s:]+:\d{1,5}$/.test(hp)), {
        message: 'must be a comma-separated list of host:port',
      }),
  /** One of a fixed set of words. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) => z.enum(values).default(fallback),
};

/** Variables that more than one service reads, with the local stack's defaults. */
export const commonEnv = {
  KAFKA_BROKERS: env.hostPorts('127.0.0.1:9092'),
  SCHEMA_REGISTRY_URL: env.url(['http', 'https'], 'http://127.0.0.1:8081'),
  DATABASE_URL: env.url(['postgres', 'postgresql'], 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos'),
  AMQP_URL: env.url(['amqp', 'amqps'], 'amqp://guest:guest@127.0.0.1:5672'),
  REDIS_URL: env.url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
} as const;

type Shape = Record<string, z.ZodType<unknown, string | undefined>>;

/** The parsed, frozen configuration for a shape of variables. */
export type ConfigOf<S extends Shape> = Readonly<z.output<z.ZodObject<S>>>;

/**
 * Reads the variables of `shape` from `source` once. Every missing or malformed variable is
 * named in one ZEN_CONFIG_INVALID error, so an operator fixes them all in one go. Empty
 * strings count as unset, as they do in most shells' `FOO= cmd`.
 */
export function loadConfig<S extends Shape>(shape: S, source: NodeJS.ProcessEnv | Record<string, string | undefined>): ConfigOf<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = source[key];
    input[key] = value === undefined || value === '' ? undefined : value;
  }
  const parsed = z.object(shape).safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      const shown = input[name] === undefined ? 'is missing' : `"${input[name]}" ${issue.message}`;
      return `${name} ${shown}`;
    });
    throw new ZenthosError('ZEN_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze(parsed.data) as ConfigOf<S>;
}
