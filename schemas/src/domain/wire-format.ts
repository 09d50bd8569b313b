import { ZenthosError } from '@zenthos/core';

/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian integer, then Avro binary. */
export const MAGIC_BYTE = 0;
/** Bytes before the Avro payload: 1 magic byte + 4 bytes of schema id. */
export const WIRE_HEADER_BYTES = 5;

/** A message split into its schema id and its Avro payload (a view on the same memory, no copy). */
export interface WireMessage {
  readonly schemaId: number;
  readonly payload: Buffer;
}

/** Writes the Confluent header (magic byte, schema id) into the first WIRE_HEADER_BYTES of `buf`. */
export function writeWireHeader(buf: Buffer, schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0x7fffffff) {
    throw new ZenthosError('ZEN_PAYLOAD_INVALID', `schema id ${schemaId} is not a non-negative 32-bit integer`);
  }
  buf[0] = MAGIC_BYTE;
  buf.writeInt32BE(schemaId, 1);
}

/** Prepends the Confluent header to an Avro payload. */
export function frame(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_BYTES + payload.length);
  writeWireHeader(out, schemaId);
  payload.copy(out, WIRE_HEADER_BYTES);
  return out;
}

/** Splits a Confluent-framed message; raises ZEN_DECODE_TRUNCATED or ZEN_DECODE_BAD_MAGIC on foreign bytes. */
export function unframe(buf: Uint8Array): WireMessage {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (bytes.length < WIRE_HEADER_BYTES) {
    throw new ZenthosError(
      'ZEN_DECODE_TRUNCATED',
      `message of ${bytes.length} bytes is shorter than the ${WIRE_HEADER_BYTES}-byte wire header`,
    );
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw new ZenthosError('ZEN_DECODE_BAD_MAGIC', `unknown magic byte ${bytes[0]}; expected ${MAGIC_BYTE} (Confluent wire format)`);
  }
  return { schemaId: bytes.readInt32BE(1), payload: bytes.subarray(WIRE_HEADER_BYTES) };
}
