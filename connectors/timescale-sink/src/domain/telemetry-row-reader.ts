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

/** Read position and item budget of one record, and the JSON text written so far. */
interface Cursor {
  bytes: Buffer;
  pos: number;
  items: number;
  /** The record's JSON text as UTF-8, written from 0 to `o` (reused from record to record). */
  out: Buffer;
  o: number;
  /** True once a byte beyond ASCII was written (the text is then read back as UTF-8). */
  wide: boolean;
}

/** Appends the JSON text of one value to the cursor's output; false when malformed. */
type Emit = (c: Cursor) => boolean;

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

// Buffer#utf8Slice / latin1Slice / utf8Write (what avsc reads strings with, and what
// toString / write call after their argument checks, which cost more than a short string).
interface RawBuffer {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length: number): number;
}
const raw = (b: Buffer): RawBuffer => b as unknown as RawBuffer;

/** JSON text of a string: quoted as it is unless it needs escapes (JSON.stringify then). */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** Room for `n` more bytes of output. */
function ensure(c: Cursor, n: number): void {
  if (c.o + n <= c.out.length) return;
  const grown = Buffer.allocUnsafe(Math.max(c.out.length * 2, c.o + n));
  c.out.copy(grown, 0, 0, c.o);
  c.out = grown;
}

/** Appends constant bytes (field prefixes, enum symbols) made by {@link constant}. */
function put(c: Cursor, k: Constant): void {
  ensure(c, k.bytes.length);
  const { out } = c;
  let o = c.o;
  for (let i = 0; i < k.bytes.length; i++) out[o++] = k.bytes[i] as number;
  c.o = o;
  if (k.wide) c.wide = true;
}

/** Appends an ASCII string (a number's text). */
function putAscii(c: Cursor, s: string): void {
  ensure(c, s.length);
  const { out } = c;
  let o = c.o;
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  c.o = o;
}

function putByte(c: Cursor, b: number): void {
  ensure(c, 1);
  c.out[c.o++] = b;
}

/** Appends JSON text made of any string (escapes, non-ASCII). */
function putText(c: Cursor, s: string): void {
  ensure(c, s.length * 3);
  c.o += raw(c.out).utf8Write(s, c.o, c.out.length - c.o);
  c.wide = true;
}

interface Constant {
  readonly bytes: Buffer;
  readonly wide: boolean;
}
const constant = (text: string): Constant => {
  const bytes = Buffer.from(text, 'utf8');
  return { bytes, wide: bytes.length !== text.length };
};

/**
 * Appends the JSON text of the Avro string at the cursor (which moves past it); false when
 * truncated or malformed. Printable ASCII without quotes or backslashes (ids, names, most keys)
 * is copied as it is, with no string made; anything else is decoded as avsc decodes it (invalid
 * UTF-8 becomes U+FFFD) and quoted by JSON.stringify.
 */
function copyString(c: Cursor): boolean {
  const len = readLong(c);
  const { bytes } = c;
  const start = c.pos;
  const end = start + len;
  if (!(len >= 0) || end > bytes.length) return false;
  ensure(c, len + 2);
  const { out } = c;
  let o = c.o;
  out[o++] = 0x22;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b > 0x7e || b === 0x22 || b === 0x5c) {
      putText(c, jsonString(raw(bytes).utf8Slice(start, end)));
      c.pos = end;
      return true;
    }
    out[o++] = b;
  }
  out[o++] = 0x22;
  c.o = o;
  c.pos = end;
  return true;
}

/** Reads a string value (as avsc does: invalid UTF-8 becomes U+FFFD); undefined when malformed. */
function readString(c: Cursor): string | undefined {
  const len = readLong(c);
  if (!(len >= 0) || c.pos + len > c.bytes.length) return undefined;
  const s = raw(c.bytes).utf8Slice(c.pos, c.pos + len);
  c.pos += len;
  return s;
}

/** Whether the `len` bytes at `at` are the ASCII text `text`. */
function bytesAre(bytes: Buffer, at: number, len: number, text: string): boolean {
  if (len !== text.length) return false;
  for (let i = 0; i < len; i++) if (bytes[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** Appends a number as JSON.stringify writes it (NaN and infinities are null). */
const putNumber = (c: Cursor, n: number): void => {
  if (Number.isSafeInteger(n)) putInteger(c, n);
  else putAscii(c, Number.isFinite(n) ? String(n) : 'null');
};

/**
 * Appends a safe integer's decimal digits as String(n) writes them (-0 as 0), without making the
 * string: times and counters are integers, and String(n) was the reader's largest remaining cost.
 */
function putInteger(c: Cursor, n: number): void {
  ensure(c, 17);
  const { out } = c;
  if (n < 0) {
    out[c.o++] = 0x2d;
    n = -n;
  }
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  let o = c.o + digits;
  c.o = o;
  do {
    const q = Math.floor(n / 10);
    out[--o] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
}

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

/**
 * Reads a map key and appends its JSON text and the colon; the key's position and length in the
 * bytes go to `seen`. False when malformed, or for a key avsc would not keep (`__proto__`: avsc
 * assigns map entries to a plain object).
 */
function copyMapKey(c: Cursor, seen: { at: number; len: number }): boolean {
  const save = c.pos;
  const len = readLong(c);
  if (!(len >= 0) || c.pos + len > c.bytes.length) return false;
  seen.at = c.pos;
  seen.len = len;
  if (bytesAre(c.bytes, c.pos, len, '__proto__')) return false;
  c.pos = save;
  if (!copyString(c)) return false;
  putByte(c, 0x3a);
  return true;
}

type Schema = string | { type: unknown; [k: string]: unknown } | Schema[];

const NULL = constant('null');
const TRUE = constant('true');
const FALSE = constant('false');

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
    return (c) => {
      const i = readLong(c);
      if (i === nullAt) {
        put(c, NULL);
        return true;
      }
      return i === 1 - nullAt ? other(c) : false;
    };
  }
  if (typeof schema === 'string') {
    switch (schema) {
      case 'null':
        return (c) => {
          put(c, NULL);
          return true;
        };
      case 'boolean':
        return (c) => {
          const b = c.bytes[c.pos++];
          if (b === undefined) return false;
          put(c, b === 0 ? FALSE : TRUE);
          return true;
        };
      case 'int':
      case 'long':
      case 'float':
      case 'double': {
        const read = numberReader(schema);
        return (c) => {
          const n = read(c);
          if (n === undefined) return false;
          putNumber(c, n);
          return true;
        };
      }
      case 'string':
        return copyString;
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
      const parts: { prefix: Constant; emit: Emit }[] = [];
      for (const [i, f] of (fields as { name: string; type: Schema }[]).entries()) {
        const emit = compile(f.type, named, ns, depth + 1);
        if (!emit) return undefined;
        parts.push({ prefix: constant(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`), emit });
      }
      const emit: Emit = (c) => {
        if (parts.length === 0) putByte(c, 0x7b);
        for (let i = 0; i < parts.length; i++) {
          const p = parts[i]!;
          put(c, p.prefix);
          if (!p.emit(c)) return false;
        }
        putByte(c, 0x7d);
        return true;
      };
      named.set(full, emit);
      return emit;
    }
    case 'enum': {
      const symbols = schema.symbols;
      if (!Array.isArray(symbols)) return undefined;
      const texts = symbols.map((s) => constant(JSON.stringify(String(s))));
      const emit: Emit = (c) => {
        const t = texts[readLong(c)];
        if (t === undefined) return false;
        put(c, t);
        return true;
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
      const key = { at: 0, len: 0 };
      return (c) => {
        putByte(c, isMap ? 0x7b : 0x5b);
        let first = true;
        for (;;) {
          const n = readBlockCount(c);
          if (Number.isNaN(n)) return false;
          if (n === 0) break;
          for (let k = 0; k < n; k++) {
            if (!first) putByte(c, 0x2c);
            first = false;
            if (isMap && !copyMapKey(c, key)) return false;
            if (!item(c)) return false;
          }
        }
        putByte(c, isMap ? 0x7d : 0x5d);
        return true;
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
  type Step = (c: Cursor, row: Fields) => boolean;
  const steps: Step[] = [];
  const prefixes: Constant[] = [];
  for (const [i, f] of fields.entries()) {
    prefixes.push(constant(`${i === 0 ? '{' : ','}${JSON.stringify(f.name)}:`));
    const prim = primitiveOf(f.type);
    const name = f.name;
    if ((STRING_FIELDS as readonly string[]).includes(name)) {
      if (prim !== 'string') return undefined;
      steps.push((c, row) => {
        const at = c.pos;
        const s = readString(c);
        if (s === undefined) return false;
        if (name === 'message_id') row.message_id = s;
        else if (name === 'device_id') row.device_id = s;
        else row.device_model = s;
        c.pos = at;
        return copyString(c);
      });
    } else if (name === 'timestamp' || name === 'ingest_ts') {
      if (prim !== 'long' && prim !== 'int') return undefined;
      steps.push((c, row) => {
        const n = readLong(c);
        if (Number.isNaN(n)) return false;
        if (name === 'timestamp') row.timestamp = n;
        else row.ingest_ts = n;
        putInteger(c, n);
        return true;
      });
    } else if (name === 'sensors') {
      const t = f.type;
      const values = typeof t === 'object' && !Array.isArray(t) && t.type === 'map' ? primitiveOf(t.values as Schema) : undefined;
      if (values !== 'double' && values !== 'float' && values !== 'int' && values !== 'long') return undefined;
      const read = numberReader(values);
      const key = { at: 0, len: 0 };
      steps.push((c, row) => {
        putByte(c, 0x7b);
        let first = true;
        for (;;) {
          const n = readBlockCount(c);
          if (Number.isNaN(n)) return false;
          if (n === 0) break;
          for (let k = 0; k < n; k++) {
            if (!first) putByte(c, 0x2c);
            first = false;
            if (!copyMapKey(c, key)) return false;
            const v = read(c);
            if (v === undefined) return false;
            // The last of repeated keys wins, as in the decoded map (compared as bytes: a key
            // decoded to 'temperature' has exactly these bytes).
            if (bytesAre(c.bytes, key.at, key.len, 'temperature')) row.temperature = v;
            else if (bytesAre(c.bytes, key.at, key.len, 'humidity')) row.humidity = v;
            putNumber(c, v);
          }
        }
        putByte(c, 0x7d);
        return true;
      });
    } else {
      const emit = compile(f.type, named, ns, 1);
      if (!emit) return undefined;
      steps.push(emit);
    }
  }

  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  // One cursor (with its output buffer) and one set of fields, reused: a record is read
  // synchronously, start to end.
  const c: Cursor = { bytes: Buffer.alloc(0), pos: 0, items: 0, out: Buffer.allocUnsafe(4096), o: 0, wide: false };
  const row: Fields = { message_id: '', device_id: '', device_model: '', timestamp: 0, ingest_ts: 0, temperature: 0, humidity: 0 };
  return (bytes, start) => {
    c.bytes = bytes;
    c.pos = start;
    c.items = 0;
    c.o = 0;
    c.wide = false;
    row.temperature = Number.NaN;
    row.humidity = Number.NaN;
    // The JSON text is written as bytes into one buffer and read back as one flat string: no
    // string per field, key or value (the pieces and their join were the reader's largest cost).
    for (let i = 0; i < steps.length; i++) {
      put(c, prefixes[i]!);
      if (!steps[i]!(c, row)) return undefined;
    }
    putByte(c, 0x7d);
    const json = c.wide ? raw(c.out).utf8Slice(0, c.o) : raw(c.out).latin1Slice(0, c.o);
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
