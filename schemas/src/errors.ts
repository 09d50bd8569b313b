import { ZenthosError, type ErrorCode } from '@zenthos/core';

/**
 * Codes this package raises (all listed in @zenthos/core errorCodes):
 *
 * - `ZEN_DECODE_BAD_MAGIC`: the bytes do not start with the Confluent magic byte 0.
 * - `ZEN_DECODE_TRUNCATED`: the bytes end before the value does (or a length points past the end).
 * - `ZEN_DECODE_LIMIT_EXCEEDED`: a size, item count or nesting depth is over the decode limits.
 * - `ZEN_DECODE_FAILED`: anything else malformed (negative length, bad union or enum index, trailing bytes).
 * - `ZEN_SCHEMA_UNKNOWN_ID`: the registry has no schema with the id the bytes carry.
 * - `ZEN_SCHEMA_NOT_REGISTERED`: the schema is not registered under the subject (lookup without auto-register).
 * - `ZEN_SCHEMA_INVALID`: not a valid Avro schema (registry 42201).
 * - `ZEN_SCHEMA_INCOMPATIBLE`: the registry refused an incompatible schema (409).
 * - `ZEN_PAYLOAD_INVALID`: a value does not match the schema it is encoded with.
 * - `ZEN_NOT_FOUND`: unknown subject or version (registry 40401, 40402).
 * - `ZEN_SCHEMA_REGISTRY_FAILED`: the registry is unreachable or answered 5xx (retriable).
 */
export const schemasErrorCodes = [
  'ZEN_DECODE_BAD_MAGIC',
  'ZEN_DECODE_TRUNCATED',
  'ZEN_DECODE_LIMIT_EXCEEDED',
  'ZEN_DECODE_FAILED',
  'ZEN_SCHEMA_UNKNOWN_ID',
  'ZEN_SCHEMA_NOT_REGISTERED',
  'ZEN_SCHEMA_INVALID',
  'ZEN_SCHEMA_INCOMPATIBLE',
  'ZEN_PAYLOAD_INVALID',
  'ZEN_NOT_FOUND',
  'ZEN_SCHEMA_REGISTRY_FAILED',
] as const satisfies readonly ErrorCode[];

/**
 * An error answered by a schema registry, with the HTTP status and Confluent's `error_code`
 * (40401 subject not found, 40402 version not found, 40403 schema not found, 42201 invalid
 * schema, 409 incompatible, 5xxxx server errors).
 */
export class RegistryError extends ZenthosError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly status: number,
    readonly registryErrorCode: number,
    retriable = false,
  ) {
    super(code, message, retriable);
  }
}

/** Maps a registry answer (HTTP status, Confluent error_code) to a Zenthos error code. */
export function codeForRegistryError(status: number, registryErrorCode: number): ErrorCode {
  switch (registryErrorCode) {
    case 40401:
    case 40402:
    case 40404:
    case 40406:
      return 'ZEN_NOT_FOUND';
    case 40403:
      return 'ZEN_SCHEMA_NOT_REGISTERED';
    case 42201:
      return 'ZEN_SCHEMA_INVALID';
    case 409:
      return 'ZEN_SCHEMA_INCOMPATIBLE';
    default:
      if (status === 409) return 'ZEN_SCHEMA_INCOMPATIBLE';
      if (status === 404) return 'ZEN_NOT_FOUND';
      if (status >= 500) return 'ZEN_SCHEMA_REGISTRY_FAILED';
      return 'ZEN_BAD_REQUEST';
  }
}
