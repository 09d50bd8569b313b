import type { ErrorCode } from '@zenthos/core';

/** Codes the demo and the platform launcher raise (all from @zenthos/core). */
export const demoErrorCodes = [
  'ZEN_BAD_REQUEST',
  'ZEN_STACK_PORT_BUSY',
  'ZEN_DEPENDENCY_UNAVAILABLE',
  'ZEN_TIMEOUT',
] as const satisfies readonly ErrorCode[];
