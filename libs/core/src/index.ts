export { errorCodes, ZenthosError, isZenthosError, toZenthosError, type ErrorCode } from './errors';
export { env, commonEnv, loadConfig, type ConfigOf } from './config';
export { retry, backoffDelayMs, sleep, withTimeout, type RetryOptions } from './domain/retry';
export { createLogger, type Logger, type LoggerSettings, type LogMixin } from './logger';
export { createOpsServer, type OpsServer, type OpsServerOptions, type ReadinessCheck } from './adapters/ops-http';
export { runCommandGroup, type CommandGroupHost } from './cli-groups';
export { restoreFastStringPrototype } from './domain/string-prototype';
