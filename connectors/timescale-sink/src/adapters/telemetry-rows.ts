import type { SchemaRegistryClient } from '@zenthos/schemas';
import type { Row } from '../domain/rows';
import { compileTelemetryRowReader, type TelemetryRowReader } from '../domain/telemetry-row-reader';

/** Reads telemetry rows straight from Confluent wire-format bytes, per writer schema id. */
export interface TelemetryRowDecoder {
  /**
   * The row of a record; `undefined` when the general decode must handle it (not the wire format,
   * a schema or bytes the fast reader does not read exactly), `null` when its writer schema is not
   * loaded yet ({@link TelemetryRowDecoder.load}).
   */
  read(bytes: Buffer): Row | undefined | null;
  /** Fetches and compiles the writer schema of a record, once per id. */
  load(bytes: Buffer): Promise<void>;
}

// Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the Avro payload.
const HEADER_BYTES = 5;
const schemaIdOf = (bytes: Buffer): number | undefined =>
  bytes.length >= HEADER_BYTES && bytes[0] === 0 ? bytes.readUInt32BE(1) : undefined;

/**
 * A {@link TelemetryRowDecoder} over the schema registry. Records whose schema the registry cannot
 * give (an unknown id, the registry down) take the general decode, which raises the coded error
 * (or waits for the registry) exactly as before.
 */
export function createTelemetryRowDecoder(registry: Pick<SchemaRegistryClient, 'getSchemaById'>): TelemetryRowDecoder {
  const readers = new Map<number, TelemetryRowReader | undefined>();
  return {
    read(bytes) {
      const id = schemaIdOf(bytes);
      if (id === undefined) return undefined;
      if (!readers.has(id)) return null;
      const reader = readers.get(id);
      return reader ? reader(bytes, HEADER_BYTES) : undefined;
    },
    async load(bytes) {
      const id = schemaIdOf(bytes);
      if (id === undefined || readers.has(id)) return;
      let text: string;
      try {
        text = await registry.getSchemaById(id);
      } catch (err) {
        // An id the registry does not know is never read fast (no lookup per garbage record); a
        // registry outage is tried again with the next record.
        if ((err as { retriable?: unknown }).retriable === false) readers.set(id, undefined);
        return;
      }
      readers.set(id, compileTelemetryRowReader(text));
    },
  };
}
