/** Error codes raised by the RabbitMQ bridge and the alerts worker (declared in @zenthos/core's list). */
export const rabbitErrorCodes = [
  'ZEN_RABBIT_PUBLISH_FAILED',
  'ZEN_ALERT_RULE_INVALID',
  'ZEN_PAYLOAD_INVALID',
  'ZEN_DB_WRITE_FAILED',
] as const;
