/**
 * Error codes the bridge raises (declared in @zenthos/core's list). Tests and callers match
 * on these, never on message text.
 */
export const bridgeErrorCodes = [
  'ZEN_MQTT_BAD_CREDENTIALS',
  'ZEN_MQTT_NOT_AUTHORIZED',
  'ZEN_PAYLOAD_INVALID',
  'ZEN_KAFKA_PRODUCE_FAILED',
  'ZEN_CONFIG_INVALID',
] as const;

/**
 * Why a payload went to the dead-letter topic: the `reason` header of a `zenthos.dlq` record
 * and the `reason` label of the invalid-message counter.
 */
export const invalidReasons = [
  'payload_too_large',
  'not_utf8',
  'not_json',
  'not_object',
  'bad_message_id',
  'identity_mismatch',
  'bad_timestamp',
  'clock_skew',
  'bad_sensors',
  'schema_mismatch',
] as const;

/** Reason a payload is invalid; see {@link invalidReasons}. */
export type InvalidReason = (typeof invalidReasons)[number];

/**
 * Why a connection, publish or subscription was refused: the `reason` label of the refusal
 * counter (metric `zenthos.middleware.messages_refused`).
 */
export const refusalReasons = [
  // CONNECT
  'bad_credentials',
  'token_expired',
  'device_revoked',
  'unknown_device',
  'username_mismatch',
  'client_id_mismatch',
  'certificate_mismatch',
  'will_not_allowed',
  // PUBLISH / SUBSCRIBE
  'empty_topic',
  'wildcard',
  'sys_topic',
  'bad_topic',
  'model_mismatch',
  'foreign_topic',
  // transport
  'packet_too_large',
  'malformed_packet',
] as const;

/** Reason something was refused; see {@link refusalReasons}. */
export type RefusalReason = (typeof refusalReasons)[number];
