/** Error codes raised by the sink (declared in @zenthos/core's list). */
export const sinkErrorCodes = ['ZEN_DB_WRITE_FAILED', 'ZEN_DECODE_FAILED', 'ZEN_SCHEMA_REGISTRY_FAILED', 'ZEN_BAD_REQUEST'] as const;
