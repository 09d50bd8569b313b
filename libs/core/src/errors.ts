/**
 * Every error Zenthos raises on purpose carries one of these codes. Callers and tests match on
 * `code`, never on message text (fastify, platformatic/kafka).
 */
export const errorCodes = [
  // configuration and start-up
  'ZEN_CONFIG_INVALID',
  'ZEN_DEPENDENCY_UNAVAILABLE',
  'ZEN_TIMEOUT',
  // local service stack
  'ZEN_STACK_SERVICE_FAILED',
  'ZEN_STACK_PORT_BUSY',
  'ZEN_STACK_MISSING_TOOL',
  // input and contracts
  'ZEN_BAD_REQUEST',
  'ZEN_NOT_FOUND',
  'ZEN_CONFLICT',
  'ZEN_UNAUTHORIZED',
  'ZEN_FORBIDDEN',
  'ZEN_SCHEMA_INVALID',
  'ZEN_PAYLOAD_INVALID',
  'ZEN_DECODE_FAILED',
  // Avro serde and schema registry (schemas/)
  'ZEN_DECODE_BAD_MAGIC',
  'ZEN_DECODE_TRUNCATED',
  'ZEN_DECODE_LIMIT_EXCEEDED',
  'ZEN_SCHEMA_UNKNOWN_ID',
  'ZEN_SCHEMA_NOT_REGISTERED',
  'ZEN_SCHEMA_INCOMPATIBLE',
  'ZEN_SCHEMA_REGISTRY_FAILED',
  'ZEN_UNKNOWN_DEVICE',
  'ZEN_MQTT_NOT_AUTHORIZED',
  'ZEN_MQTT_BAD_CREDENTIALS',
  // database
  'ZEN_DB_MIGRATION_FAILED',
  // time-series sink (connectors/timescale-sink)
  'ZEN_DB_WRITE_FAILED',
  // RabbitMQ bridge and alerts worker (connectors/rabbitmq-bridge)
  'ZEN_RABBIT_PUBLISH_FAILED',
  'ZEN_ALERT_RULE_INVALID',
  // device credentials (libs/devices); the MQTT bridge answers all of them as bad credentials
  'ZEN_DEVICE_TOKEN_INVALID',
  'ZEN_DEVICE_TOKEN_EXPIRED',
  'ZEN_DEVICE_REVOKED',
  // OTA releases, signing and storage
  'ZEN_OTA_SIGNATURE_INVALID',
  'ZEN_OTA_KEY_REVOKED',
  'ZEN_OTA_RELEASE_YANKED',
  'ZEN_OTA_STORAGE_FAILED',
  'ZEN_WEBHOOK_SIGNATURE_INVALID',
  // Kafka
  'ZEN_KAFKA_PRODUCE_FAILED',
  'ZEN_KAFKA_CONSUME_FAILED',
  'ZEN_KAFKA_TRANSACTION_FAILED',
  // stream processors (streams/)
  'ZEN_TIMESTAMP_SKEW',
  'ZEN_SENSOR_OUT_OF_RANGE',
  'ZEN_REQUIRED_FIELD_MISSING',
  'ZEN_TOPOLOGY_INVALID',
  // unexpected
  'ZEN_INTERNAL',
] as const;

/** One of {@link errorCodes}. */
export type ErrorCode = (typeof errorCodes)[number];

/** An error with a stable code and a flag that tells the retry helper whether trying again can help. */
export class ZenthosError extends Error {
  override readonly name = 'ZenthosError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retriable = false,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** JSON body for HTTP answers: `{ code, message }`. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `err` is a ZenthosError, optionally with the given code. */
export const isZenthosError = (err: unknown, code?: ErrorCode): err is ZenthosError =>
  err instanceof ZenthosError && (code === undefined || err.code === code);

/** Wraps anything thrown into a ZenthosError, keeping an existing code and the original as `cause`. */
export const toZenthosError = (err: unknown, code: ErrorCode = 'ZEN_INTERNAL', retriable = false): ZenthosError => {
  if (err instanceof ZenthosError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ZenthosError(code, message, retriable, { cause: err });
};
