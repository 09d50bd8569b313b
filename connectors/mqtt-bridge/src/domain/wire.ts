import type { Type } from 'avsc';
import { MAGIC_BYTE, WIRE_HEADER_BYTES } from '@zenthos/schemas';

/** Writes Confluent wire-format records into one reused buffer (see {@link createFrameWriter}). */
export interface FrameWriter {
  /**
   * The record in the Confluent wire format (magic byte 0, the schema id as a big-endian 32-bit
   * integer, the Avro body), as a view of the writer's buffer: valid only until the next
   * `write`. Throws what avsc throws for a value the type refuses.
   */
  write(type: Type, schemaId: number, value: unknown): Buffer;
}

/**
 * A writer that encodes every record into the same buffer, grown when a record does not fit.
 * For a consumer of the bytes that copies them at once (node-rdkafka's produce copies the value
 * into librdkafka, RK_MSG_COPY), a record then costs no allocation and no copy of its own.
 */
export function createFrameWriter(initialBytes = 16 * 1024): FrameWriter {
  let scratch = Buffer.allocUnsafe(Math.max(initialBytes, WIRE_HEADER_BYTES + 1));
  return {
    write(type, schemaId, value) {
      let end = type.encode(value, scratch, WIRE_HEADER_BYTES);
      if (end < 0) {
        // avsc answers minus the number of bytes missing when the buffer is too small.
        scratch = Buffer.allocUnsafe(Math.max(2 * scratch.length, scratch.length - end));
        end = type.encode(value, scratch, WIRE_HEADER_BYTES);
      }
      scratch[0] = MAGIC_BYTE;
      scratch.writeInt32BE(schemaId, 1);
      return scratch.subarray(0, end);
    },
  };
}
