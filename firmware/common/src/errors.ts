/**
 * Every error the device logic raises on purpose carries one of these codes. OTA status reports
 * send the code as `reason`, so the platform and tests match on it, never on message text.
 *
 * This mirrors `@zenthos/core`'s error shape but does not import it: device code must run under
 * the Moddable SDK (XS), where Node-only modules are not available.
 */
export const firmwareErrorCodes = [
  // connectivity
  'ZEN_FW_MQTT_NOT_CONNECTED',
  'ZEN_FW_PUBLISH_FAILED',
  'ZEN_FW_HTTP_FAILED',
  'ZEN_FW_HTTP_STATUS',
  'ZEN_FW_TIME_NOT_SYNCED',
  // release metadata and manifest
  'ZEN_FW_METADATA_INVALID',
  'ZEN_FW_MANIFEST_INVALID',
  'ZEN_FW_UNKNOWN_KEY',
  'ZEN_FW_SIGNATURE_INVALID',
  'ZEN_FW_MODEL_MISMATCH',
  'ZEN_FW_KIND_MISMATCH',
  'ZEN_FW_VERSION_INVALID',
  'ZEN_FW_VERSION_NOT_NEWER',
  'ZEN_FW_MANIFEST_EXPIRED',
  'ZEN_FW_SLOT_TOO_SMALL',
  // download and image
  'ZEN_FW_DOWNLOAD_FAILED',
  'ZEN_FW_RANGE_MISMATCH',
  'ZEN_FW_SIZE_MISMATCH',
  'ZEN_FW_HASH_MISMATCH',
  'ZEN_FW_FLASH_FAILED',
  // boot
  'ZEN_FW_SELF_TEST_FAILED',
  'ZEN_FW_BOOT_FAILED',
  'ZEN_FW_BUSY',
  // sensors and inference
  'ZEN_FW_SENSOR_FAILED',
  'ZEN_FW_INFERENCE_FAILED',
  // unexpected
  'ZEN_FW_INTERNAL',
] as const;

/** One of {@link firmwareErrorCodes}. */
export type FirmwareErrorCode = (typeof firmwareErrorCodes)[number];

/** An error with a stable code and a flag telling the caller whether trying again can help. */
export class FirmwareError extends Error {
  override readonly name = 'FirmwareError';

  constructor(
    readonly code: FirmwareErrorCode,
    message: string,
    readonly retriable = false,
  ) {
    super(message);
  }
}

/** True when `err` is a FirmwareError, optionally with the given code. */
export const isFirmwareError = (err: unknown, code?: FirmwareErrorCode): err is FirmwareError =>
  err instanceof FirmwareError && (code === undefined || err.code === code);

/** Wraps anything thrown into a FirmwareError, keeping an existing code. */
export const toFirmwareError = (err: unknown, code: FirmwareErrorCode = 'ZEN_FW_INTERNAL', retriable = false): FirmwareError => {
  if (err instanceof FirmwareError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FirmwareError(code, message, retriable);
};
