import type { ErrorCode } from '@zenthos/core';

/** Error codes the OTA API answers with (declared in @zenthos/core's list). */
export const otaErrorCodes = [
  'ZEN_BAD_REQUEST',
  'ZEN_UNAUTHORIZED',
  'ZEN_FORBIDDEN',
  'ZEN_NOT_FOUND',
  'ZEN_CONFLICT',
  'ZEN_DEVICE_TOKEN_INVALID',
  'ZEN_DEVICE_TOKEN_EXPIRED',
  'ZEN_DEVICE_REVOKED',
  'ZEN_OTA_SIGNATURE_INVALID',
  'ZEN_OTA_KEY_REVOKED',
  'ZEN_OTA_RELEASE_YANKED',
  'ZEN_OTA_STORAGE_FAILED',
  'ZEN_WEBHOOK_SIGNATURE_INVALID',
  'ZEN_DEPENDENCY_UNAVAILABLE',
  'ZEN_INTERNAL',
] as const satisfies readonly ErrorCode[];

/**
 * HTTP status of each error code the OTA API answers with. Bad input is always 4xx; only
 * unexpected failures become 500.
 */
export const httpStatusOf = (code: ErrorCode): number => {
  switch (code) {
    case 'ZEN_BAD_REQUEST':
    case 'ZEN_PAYLOAD_INVALID':
    case 'ZEN_SCHEMA_INVALID':
      return 400;
    case 'ZEN_UNAUTHORIZED':
    case 'ZEN_DEVICE_TOKEN_INVALID':
    case 'ZEN_DEVICE_TOKEN_EXPIRED':
    case 'ZEN_DEVICE_REVOKED':
    case 'ZEN_WEBHOOK_SIGNATURE_INVALID':
      return 401;
    case 'ZEN_FORBIDDEN':
      return 403;
    case 'ZEN_NOT_FOUND':
    case 'ZEN_UNKNOWN_DEVICE':
      return 404;
    case 'ZEN_CONFLICT':
    case 'ZEN_OTA_KEY_REVOKED':
    case 'ZEN_OTA_RELEASE_YANKED':
    case 'ZEN_OTA_SIGNATURE_INVALID':
      return 409;
    case 'ZEN_DEPENDENCY_UNAVAILABLE':
    case 'ZEN_TIMEOUT':
      return 503;
    default:
      return 500;
  }
};
