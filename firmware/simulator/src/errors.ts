import type { ErrorCode } from '@zenthos/core';

/**
 * Codes the simulator raises (all from @zenthos/core): bad flags, an unreachable bridge or OTA
 * API, and a registration the platform refused.
 */
export const simulatorErrorCodes = [
  'ZEN_BAD_REQUEST',
  'ZEN_CONFIG_INVALID',
  'ZEN_DEPENDENCY_UNAVAILABLE',
  'ZEN_UNAUTHORIZED',
] as const satisfies readonly ErrorCode[];
