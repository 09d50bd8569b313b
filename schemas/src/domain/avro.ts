import { ZenthosError } from '@zenthos/core';
import { Type } from 'avsc';

/** An Avro schema: JSON text, or its parsed form. */
export type AvroSchema = string | object;

/** The parsed JSON of a schema given as text or as an object. Raises ZEN_SCHEMA_INVALID on bad JSON. */
export function schemaJson(schema: AvroSchema): unknown {
  if (typeof schema !== 'string') return schema;
  try {
    return JSON.parse(schema) as unknown;
  } catch (err) {
    // A bare name such as `string` (not JSON) is how some tools write primitive schemas.
    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(schema.trim())) return schema.trim();
    throw new ZenthosError('ZEN_SCHEMA_INVALID', `schema is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * The schema as compact JSON text: the form stored by the registry and used to recognise the
 * same schema again (whitespace never makes two schemas different).
 */
export function schemaText(schema: AvroSchema): string {
  return JSON.stringify(schemaJson(schema));
}

/**
 * Parses a schema into an avsc type. Unions of null and one type decode to `T | null`
 * (avsc "auto" unions); logical types decode as their underlying type (a long for
 * timestamp-millis), the same on every reader. Raises ZEN_SCHEMA_INVALID.
 */
export function parseSchema(schema: AvroSchema): Type {
  const json = schemaJson(schema);
  try {
    return Type.forSchema(json as Parameters<typeof Type.forSchema>[0], { wrapUnions: 'auto' });
  } catch (err) {
    throw new ZenthosError('ZEN_SCHEMA_INVALID', `invalid Avro schema: ${(err as Error).message}`, false, { cause: err });
  }
}
