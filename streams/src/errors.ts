import type { ErrorCode } from '@zenthos/core';

/**
 * Codes the stream processors raise (declared in @zenthos/core's list). They are also the
 * `zenthos.dlq.reason` header of dead letters, which `zenthos dlq list --reason` filters on.
 */
export const streamsErrorCodes = [
  'ZEN_TIMESTAMP_SKEW',
  'ZEN_SENSOR_OUT_OF_RANGE',
  'ZEN_REQUIRED_FIELD_MISSING',
  'ZEN_PAYLOAD_INVALID',
  'ZEN_UNKNOWN_DEVICE',
  'ZEN_DEVICE_REVOKED',
  'ZEN_TOPOLOGY_INVALID',
  'ZEN_KAFKA_TRANSACTION_FAILED',
] as const satisfies readonly ErrorCode[];
