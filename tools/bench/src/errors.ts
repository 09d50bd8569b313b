import type { ErrorCode } from '@zenthos/core';

/** Codes the benchmark raises (all from @zenthos/core). */
export const benchErrorCodes = [
  'ZEN_BAD_REQUEST',
  'ZEN_DEPENDENCY_UNAVAILABLE',
  'ZEN_STACK_PORT_BUSY',
  'ZEN_TIMEOUT',
] as const satisfies readonly ErrorCode[];
