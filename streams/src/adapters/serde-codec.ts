import type { AvroSchema, Serde } from '@zenthos/schemas';
import type { RecordCodec } from '../domain/batch';

/**
 * The Avro codec of a pipeline: source records are decoded with their writer's schema (by the
 * id in the Confluent wire format) and resolved to the first processor's input schema; outputs
 * are encoded under `<topic>-value` (TopicNameStrategy) with the sink subject's schema.
 */
export function createSerdeCodec(
  serde: Serde,
  schemas: { input: AvroSchema; outputByTopic: ReadonlyMap<string, AvroSchema> },
): RecordCodec {
  // One options object for every record.
  const decodeOptions = { readerSchema: schemas.input };
  return {
    decode: async (bytes) => (await serde.decode(bytes, decodeOptions)).value,
    encode: (topic, value) => serde.encode(`${topic}-value`, value as never, { schema: schemas.outputByTopic.get(topic) }),
  };
}
