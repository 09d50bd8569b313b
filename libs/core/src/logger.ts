import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Fields added to every log line, for example the active trace's ids (see libs/telemetry). */
export type LogMixin = () => Record<string, unknown>;

/** Options of {@link createLogger}. */
export interface LoggerSettings {
  readonly service: string;
  readonly level?: string;
  readonly mixin?: LogMixin;
  /** Where lines go; standard output by default. */
  readonly destination?: NodeJS.WritableStream;
}

/** A pino logger writing one JSON object per line, with `service`, ISO time and level names. */
export const createLogger = (settings: LoggerSettings): Logger => {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(settings.mixin ? { mixin: settings.mixin } : {}),
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
};
