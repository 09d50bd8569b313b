import { isoFromMillis, MAX_ISO_MS, type Row } from './rows';

/**
 * Reads the `telemetry_raw` row of one Avro-encoded enriched telemetry record straight from its
 * bytes (the payload after the Confluent wire header): time, message_id, device_id, device_model,
 * payload (the JSON text of the whole record), temperature, humidity, ingest_ts, as
 * `tableSpecs.telemetry.toRow` makes them from the decoded value. The JSON text is written while
 * the bytes are read, so no decoded object, no sensors map and no `JSON.stringify` pass is made
 * per record (avsc decode, the bounds walk before it and `JSON.stringify` of the value were about
 * a third of the sink's CPU per row).
 *
 * Returns undefined for anything it does not read exactly as avsc would (truncated or malformed
 * bytes, a long beyond 2^53, a map key `__proto__`, a time outside years 0-9999, more items than
 * {@link MAX_FAST_ITEMS}); the caller then decodes the record the general way, which gives the same
 * row or the same coded error as before.
 */
export type TelemetryRowReader = (bytes: Buffer, start: number) => Row | undefined;

// Items (array and map entries) read on the fast path at most; larger records take the general
// path, whose bounds walk enforces the decode limits.
const MAX_FAST_ITEMS = 10_000;

/** Read position and item budget of one record. */
interface Cursor {
  bytes: Buffer;
  pos: number;
  items: number;
}

/** Appends the JSON text of one value to `out` (returned), or returns undefined when malformed. */
type Emit = (c: Cursor, out: string) => string | undefined;

/** Avro zig-zag varint (int or long); NaN when malformed or beyond Number.MAX_SAFE_INTEGER. */
function readLong(c: Cursor): number {
  const { bytes } = c;
  let pos = c.pos;
  let b = bytes[pos++];
  if (b === undefined) return Number.NaN;
  let n = b & 0x7f;
  if (b < 0x80) {
    c.pos = pos;
    return (n >>> 1) ^ -(n & 1);
  }
  let scale = 128;
  do {
    b = bytes[pos++];
    if (b === undefined || scale > 2 ** 63) return Number.NaN;
    n += (b & 0x7f) * scale;
    scale *= 128;
  } while (b >= 0x80);
  c.pos = pos;
  // n is the zig-zag encoding (even = non-negative), exact only up to 2^53: larger values take
  // the general path (avsc refuses longs beyond 2^53 there).
  if (n > Number.MAX_SAFE_INTEGER) return Number.NaN;
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

// Buffer#utf8Slice (what avsc reads strings with): toString('utf8', start, end) without its
// argument checks, which cost more than the decode of a short string.
interface Utf8Sliceable {
  utf8Slice(start: number, end: number): string;
}

/** JSON text of a string: quoted as it is unless it needs escapes (JSON.stringify then). */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

function readString(c: Cursor): string | undefined {
  const len = readLong(c);
  if (!(len >= 0) || c.pos + len > c.bytes.length) return undefined;
  // As avsc reads strings: invalid UTF-8 becomes U+FFFD.
  const s = (c.bytes as unknown as Utf8Sliceable).utf8Slice(c.pos, c.pos + len);
  c.pos += len;
  return s;
}

/** Number as JSON.stringify writes it (NaN and infinities are null). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : 'null');

function readDouble(c: Cursor): number {
  if (c.pos + 8 > c.bytes.length) return Number.NaN;
  const v = c.bytes.readDoubleLE(c.pos);
  c.pos += 8;
  return v;
}

function readFloat(c: Cursor): number {
  if (c.pos + 4 > c.bytes.length) return Number.NaN;
  const v = c.bytes.readFloatLE(c.pos);
  c.pos += 4;
  return v;
}

/** A double or float read that tells truncation from a NaN in the data. */
const numberReader = (type: 'double' | 'float' | 'int' | 'long'): ((c: Cursor) => number | undefined) => {
  switch (type) {
    case 'double':
      return (c) => (c.pos + 8 > c.bytes.length ? undefined : readDouble(c));
    case 'float':
      return (c) => (c.pos + 4 > c.bytes.length ? undefined : readFloat(c));
    default:
      return (c) => {
        const n = readLong(c);
        return Number.isNaN(n) ? undefined : n;
      };
  }
};

/** Array and map block sizes (Avro: a negative count is followed by the block's byte size). */
function readBlockCount(c: Cursor): number {
  let n = readLong(c);
  if (Number.isNaN(n)) return n;
  if (n < 0) {
    n = -n;
    if (Number.isNaN(readLong(c))) return Number.NaN;
  }
  c.items += n;
  return c.items > MAX_FAST_ITEMS ? Number.NaN : n;
}

type Schema = string | { type: unknown; [k: string]: unknown } | Schema[];

/** Compiles the JSON writer of a schema; undefined for what this reader does not handle. */
function compile(schema: Schema, named: Map<string, Emit | null>, namespace: string | undefined, depth: number): Emit | undefined {
  if (depth > 16) return undefined;
  if (Array.isArray(schema)) {
    // Unions of null and one type decode to `T | null` (schemas' parseSchema: avsc 'auto' unions).
    if (schema.length !== 2) return undefined;
    const nullAt = schema.findIndex((s) => s === 'null' || (typeof s === 'object' && !Array.isArray(s) && s.type === 'null'));
    if (nullAt < 0) return undefined;
    const other = compile(schema[1 - nullAt] as Schema, named, namespace, depth + 1);
    if (!other) return undefined;
    return (c, out) => {
      const i = readLong(c);
      if (i === nullAt) return `${out}null`;
      return i === 1 - nullAt ? other(c, out) : undefined;
    };
  }
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return (_c, out) => `${out}null`;
      case 'boolean':
        return (c, out) => {
          const b = c.bytes[c.pos++];
          return b === undefined ? undefined : out + (b === 0 ? 'false' : 'true');
        };
      case 'int':
      case 'long':
      case 'float':
      case 'double': {
        const read = numberReader(schema);
        return (c, out) => {
          const n = read(c);
          return n === undefined ? undefined : out + jsonNumber(n);
        };
      }
      case 'string':
        return (c, out) => {
          const s = readString(c);
          return s === undefined ? undefined : out + jsonString(s);
        };
      default: {
        // A reference to a named type defined earlier; recursive types (null while compiling) are not handled.
        const full = schema.includes('.') || namespace === undefined ? schema : `${namespace}.${schema}`;
        return named.get(full) ?? named.get(schema) ?? undefined;
      }
    }
  }
  const type = schema.type;
  if (typeof type !== 'string' && typeof type !== 'object') return undefined;
  if (typeof type === 'object') return compile(type as Schema, named, namespace, depth);
  switch (type) {
    case 'record': {
      const name = String(schema.name ?? '');
      const ns = typeof schema.namespace === 'string' ? schema.namespace : name.includes('.') ? undefined : namespace;
      const full = name.includes('.') || ns === undefined ? name : `${ns}.${name}`;
      named.set(full, null);
      const fields = schema.fields;
      if (!Array.isArray(fields)) return undefined;
      const parts: { prefix: string; emit: Emit }[] = [];
      for (const [i, f] of (fields as { name: string; type: Schema }[]).entries()) {
        const emit = compile(f.type, named, ns, depth + 1);
        if (!emit) return undefined;
        parts.push({ prefix: `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`, emit });
      }
      const emit: Emit = (c, out) => {
        if (parts.length === 0) return `${out}{}`;
        let o: string | undefined = out;
        for (const p of parts) {
          o = p.emit(c, o + p.prefix);
          if (o === undefined) return undefined;
        }
        return `${o}}`;
      };
      named.set(full, emit);
      return emit;
    }
    case 'enum': {
      const symbols = schema.symbols;
      if (!Array.isArray(symbols)) return undefined;
      const texts = symbols.map((s) => JSON.stringify(String(s)));
      const emit: Emit = (c, out) => {
        const i = readLong(c);
        const t = texts[i];
        return t === undefined ? undefined : out + t;
      };
      const name = String(schema.name ?? '');
      named.set(name.includes('.') || namespace === undefined ? name : `${namespace}.${name}`, emit);
      return emit;
    }
    case 'array':
    case 'map': {
      const isMap = type === 'map';
      const item = compile((isMap ? schema.values : schema.items) as Schema, named, namespace, depth + 1);
      if (!item) return undefined;
      return (c, out) => {
        let o: string | undefined = out + (isMap ? '{' : '[');
        let first = true;
        for (;;) {
          const n = readBlockCount(c);
          if (Number.isNaN(n)) return undefined;
          if (n === 0) break;
          for (let k = 0; k < n; k++) {
            if (!first) o += ',';
            first = false;
            if (isMap) {
              const key = readString(c);
              // avsc assigns map entries to a plain object: `__proto__` would not become a key.
              if (key === undefined || key === '__proto__') return undefined;
              o += `${jsonString(key)}:`;
            }
            o = item(c, o);
            if (o === undefined) return undefined;
          }
        }
        return o + (isMap ? '}' : ']');
      };
    }
    default:
      // Primitive types written as {"type": "long", "logicalType": ...}: logical types decode as
      // their underlying type (schemas' parseSchema). bytes and fixed are not read here.
      return ['null', 'boolean', 'int', 'long', 'float', 'double', 'string'].includes(type)
        ? compile(type, named, namespace, depth)
        : undefined;
  }
}

/** The primitive type name of a field's schema ("long" for {"type": "long", "logicalType": ...}). */
const primitiveOf = (s: Schema): string | undefined =>
  typeof s === 'string' ? s : !Array.isArray(s) && typeof s.type === 'string' ? s.type : undefined;

/** What the row needs besides the JSON text (temperature and humidity NaN when absent). */
interface Fields {
  message_id: string;
  device_id: string;
  device_model: string;
  timestamp: number;
  ingest_ts: number;
  temperature: number;
  humidity: number;
}

// Fields the row needs, read natively as well as written into the JSON text.
const STRING_FIELDS = ['message_id', 'device_id', 'device_model'] as const;

/**
 * Compiles the reader for one writer schema (the registry's schema text of an enriched telemetry
 * record). Undefined when the schema is not one this reader handles exactly (no such fields, bytes
 * or fixed values, unions other than null and one type, recursive types): such records are decoded
 * the general way.
 */
export function compileTelemetryRowReader(schemaText: string): TelemetryRowReader | undefined {
  let schema: Schema;
  try {
    schema = JSON.parse(schemaText) as Schema;
  } catch {
    return undefined;
  }
  if (typeof schema !== 'object' || Array.isArray(schema) || schema.type !== 'record' || !Array.isArray(schema.fields)) return undefined;
  const named = new Map<string, Emit | null>();
  const ns = typeof schema.namespace === 'string' ? schema.namespace : undefined;
  const fields = schema.fields as { name: string; type: Schema }[];
  const have = new Set(fields.map((f) => f.name));
  if (![...STRING_FIELDS, 'timestamp', 'ingest_ts', 'sensors'].every((f) => have.has(f))) return undefined;

  // One step per field: reads it, appends its JSON, and notes what the row needs.
  type Step = (c: Cursor, out: string, row: Fields) => string | undefined;
  const steps: Step[] = [];
  for (const [i, f] of fields.entries()) {
    const prefix = `${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`;
    const prim = primitiveOf(f.type);
    const name = f.name;
    if ((STRING_FIELDS as readonly string[]).includes(name)) {
      if (prim !== 'string') return undefined;
      steps.push((c, out, row) => {
        const s = readString(c);
        if (s === undefined) return undefined;
        if (name === 'message_id') row.message_id = s;
        else if (name === 'device_id') row.device_id = s;
        else row.device_model = s;
        return out + prefix + jsonString(s);
      });
    } else if (name === 'timestamp' || name === 'ingest_ts') {
      if (prim !== 'long' && prim !== 'int') return undefined;
      steps.push((c, out, row) => {
        const n = readLong(c);
        if (Number.isNaN(n)) return undefined;
        if (name === 'timestamp') row.timestamp = n;
        else row.ingest_ts = n;
        return out + prefix + String(n);
      });
    } else if (name === 'sensors') {
      const t = f.type;
      const values = typeof t === 'object' && !Array.isArray(t) && t.type === 'map' ? primitiveOf(t.values as Schema) : undefined;
      if (values !== 'double' && values !== 'float' && values !== 'int' && values !== 'long') return undefined;
      const read = numberReader(values);
      steps.push((c, out, row) => {
        let o = `${out + prefix}{`;
        let first = true;
        for (;;) {
          const n = readBlockCount(c);
          if (Number.isNaN(n)) return undefined;
          if (n === 0) break;
          for (let k = 0; k < n; k++) {
            const key = readString(c);
            if (key === undefined || key === '__proto__') return undefined;
            const v = read(c);
            if (v === undefined) return undefined;
            // The last of repeated keys wins, as in the decoded map.
            if (key === 'temperature') row.temperature = v;
            else if (key === 'humidity') row.humidity = v;
            o += `${first ? '' : ','}${jsonString(key)}:${jsonNumber(v)}`;
            first = false;
          }
        }
        return `${o}}`;
      });
    } else {
      const emit = compile(f.type, named, ns, 1);
      if (!emit) return undefined;
      steps.push((c, out) => emit(c, out + prefix));
    }
  }

  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  // One cursor and one set of fields, reused: a record is read synchronously, start to end.
  const c: Cursor = { bytes: Buffer.alloc(0), pos: 0, items: 0 };
  const parts: string[] = [];
  const row: Fields = { message_id: '', device_id: '', device_model: '', timestamp: 0, ingest_ts: 0, temperature: 0, humidity: 0 };
  return (bytes, start) => {
    c.bytes = bytes;
    c.pos = start;
    c.items = 0;
    row.temperature = Number.NaN;
    row.humidity = Number.NaN;
    // Each field's text apart, then one join: a flat string, where appending every piece to one
    // string would leave a tree of dozens of string pieces per row for the collector.
    parts.length = 0;
    for (const step of steps) {
      const piece = step(c, '', row);
      if (piece === undefined) return undefined;
      parts.push(piece);
    }
    parts.push('}');
    const json = parts.join('');
    const ts = row.timestamp * 1000;
    const ingest = row.ingest_ts;
    // Outside years 0-9999 the general path formats (or refuses) the times.
    if (!(ts >= 0 && ts <= MAX_ISO_MS && ingest >= 0 && ingest <= MAX_ISO_MS)) return undefined;
    return [
      isoFromMillis(ts),
      row.message_id,
      row.device_id,
      row.device_model,
      json,
      finite(row.temperature),
      finite(row.humidity),
      isoFromMillis(ingest),
    ];
  };
}
