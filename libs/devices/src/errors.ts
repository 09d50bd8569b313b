/**
 * Error codes raised by @zenthos/devices (declared in @zenthos/core's list). An MQTT bridge
 * maps the three token codes to CONNACK "bad user name or password".
 */
export const deviceErrorCodes = [
  'ZEN_DEVICE_TOKEN_INVALID',
  'ZEN_DEVICE_TOKEN_EXPIRED',
  'ZEN_DEVICE_REVOKED',
  'ZEN_BAD_REQUEST',
  'ZEN_CONFLICT',
  'ZEN_NOT_FOUND',
] as const;
