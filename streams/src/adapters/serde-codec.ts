import type { AvroSchema, EncodeOptions, Serde } from '@zenthos/schemas';
import type { RecordCodec } from '../domain/batch';

/**
 * The Avro codec of a pipeline: source records are decoded with their writer's schema (by the
 * id in the Confluent wire format) and resolved to the first processor's input schema; outputs
 * are encoded under `<topic>-value` (TopicNameStrategy) with the sink subject's schema. Once a
 * schema is cached both answer at once, without a promise per record.
 */
export function createSerdeCodec(
  serde: Serde,
  schemas: { input: AvroSchema; outputByTopic: ReadonlyMap<string, AvroSchema> },
): RecordCodec {
  // One options object for every record.
  const decodeOptions = { readerSchema: schemas.input };
  const targets = new Map<string, { subject: string; options: EncodeOptions }>();
  return {
    decode: (bytes) => {
      const decoded = serde.decodeCached(bytes, decodeOptions);
      return decoded !== undefined ? decoded.value : serde.decode(bytes, decodeOptions).then((d) => d.value);
    },
    encode: (topic, value) => {
      // Subject and options built once per topic, not per record.
      let target = targets.get(topic);
      if (target === undefined) {
        target = { subject: `${topic}-value`, options: { schema: schemas.outputByTopic.get(topic) } };
        targets.set(topic, target);
      }
      return (
        serde.encodeCached(target.subject, value as never, target.options) ?? serde.encode(target.subject, value as never, target.options)
      );
    },
  };
}
