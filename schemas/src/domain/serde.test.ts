import { isZenthosError } from '@zenthos/core';
import { createMemoryRegistryClient } from '../adapters/memory-registry-client';
import type { TelemetryRaw } from '../generated/types';
import { contracts } from '../generated/contracts';
import { parseSchema } from './avro';
import { createSerdeWith } from './serde';
import { frame } from './wire-format';

const telemetry: TelemetryRaw = {
  message_id: '0b8e6b2e-3c52-4d8e-9a55-8f0f1f6e9a01',
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: 1691020800,
  sensors: { temperature: 26.7, humidity: 61.2 },
  firmware_version: 'v0.1.0',
  model_version: null,
  ingest_ts: 1691020800123,
};

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p;
    return undefined;
  } catch (err) {
    return isZenthosError(err) ? err.code : `not coded: ${String(err)}`;
  }
};

describe('serde', () => {
  it('encodes a contract under its subject and decodes it back', async () => {
    const registry = createMemoryRegistryClient();
    const serde = createSerdeWith(registry);
    const bytes = await serde.encode('zenthos.telemetry.raw-value', telemetry);
    expect(bytes[0]).toBe(0);
    const id = bytes.readInt32BE(1);
    expect(await registry.lookup('zenthos.telemetry.raw-value', JSON.stringify(contracts['telemetry-raw'].schema))).toMatchObject({
      id,
      version: 1,
    });
    const decoded = await serde.decode<TelemetryRaw>(bytes);
    expect(decoded).toEqual({ schemaId: id, value: telemetry });
  });

  it('encodes records larger than its scratch buffer, and returns buffers that later encodes do not overwrite', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const big = { ...telemetry, device_id: 'd'.repeat(100_000) };
    const first = await serde.encode('zenthos.telemetry.raw-value', telemetry);
    const large = await serde.encode('zenthos.telemetry.raw-value', big);
    await serde.encode('zenthos.telemetry.raw-value', { ...telemetry, device_id: 'other' });
    expect((await serde.decode<TelemetryRaw>(first)).value).toEqual(telemetry);
    expect((await serde.decode<TelemetryRaw>(large)).value).toEqual(big);
    expect(large.readInt32BE(1)).toBe(first.readInt32BE(1));
  });

  it("writes the bytes avsc writes for every contract and for strings around the short ASCII path's limits", async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const body = async (subject: string, value: unknown): Promise<Buffer> => (await serde.encode(subject, value as never)).subarray(5);
    for (const c of Object.values(contracts)) {
      const type = parseSchema(c.schema as object);
      for (let i = 0; i < 20; i++) {
        const value = type.random();
        expect(await body(c.subject, value)).toEqual(type.toBuffer(value));
      }
    }
    const raw = parseSchema(contracts['telemetry-raw'].schema as object);
    const strings = [
      '',
      'a',
      'x'.repeat(63),
      'x'.repeat(64),
      'x'.repeat(65),
      'é',
      'abcé',
      'ab\u007f',
      'ab\u0080',
      '温度',
      'a😀b',
      '\ud800x',
      'y'.repeat(62) + 'ü',
    ];
    for (const s of strings) {
      const value = { ...telemetry, device_id: s, sensors: { [s]: 1.5, plain: 2 }, model_version: s };
      expect(await body('zenthos.telemetry.raw-value', value)).toEqual(raw.toBuffer(value));
    }
    // Larger than the scratch buffer: short strings near its end fall back to avsc's write.
    const sensors: Record<string, number> = {};
    for (let i = 0; i < 8_000; i++) sensors[`sensor_${i}`] = i;
    const big = { ...telemetry, sensors };
    expect(await body('zenthos.telemetry.raw-value', big)).toEqual(raw.toBuffer(big));
  });

  it('refuses a non-string where a string belongs with ZEN_PAYLOAD_INVALID', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    expect(await codeOf(serde.encode('zenthos.telemetry.raw-value', { ...telemetry, device_id: 42 as unknown as string }))).toBe(
      'ZEN_PAYLOAD_INVALID',
    );
  });

  it('reuses the id: the same schema is registered once', async () => {
    const registry = createMemoryRegistryClient();
    const serde = createSerdeWith(registry);
    const a = await serde.encode('zenthos.telemetry.raw-value', telemetry);
    const b = await serde.encode('zenthos.telemetry.raw-value', { ...telemetry, timestamp: 1 });
    expect(a.readInt32BE(1)).toBe(b.readInt32BE(1));
    expect(await registry.listVersions('zenthos.telemetry.raw-value')).toEqual([1]);
  });

  it('registers an explicit schema once per subject and caches it', async () => {
    const registry = createMemoryRegistryClient();
    const calls: string[] = [];
    const serde = createSerdeWith({
      ...registry,
      register: (subject, schema) => (calls.push(subject), registry.register(subject, schema)),
    });
    const schema = { type: 'record', name: 'P', fields: [{ name: 'n', type: 'int' }] };
    const a = await serde.encode('one-value', { n: 1 }, { schema });
    await serde.encode('one-value', { n: 2 }, { schema });
    const b = await serde.encode('two-value', { n: 3 }, { schema });
    expect(calls).toEqual(['one-value', 'two-value']);
    expect(a.readInt32BE(1)).toBe(b.readInt32BE(1));
    expect(await registry.listSubjects()).toEqual(['one-value', 'two-value']);
  });

  it('decodes with a reader schema: new fields take their defaults, removed ones are skipped', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const v1 = {
      type: 'record',
      name: 'Reading',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'gone', type: 'string' },
      ],
    };
    const v2 = {
      type: 'record',
      name: 'Reading',
      fields: [
        { name: 'a', type: 'long' },
        { name: 'added', type: 'string', default: 'x' },
      ],
    };
    const bytes = await serde.encode('demo-value', { a: 7, gone: 'bye' }, { schema: v1 });
    expect((await serde.decode(bytes, { readerSchema: v2 })).value).toEqual({ a: 7, added: 'x' });
    expect((await serde.decode(bytes)).value).toEqual({ a: 7, gone: 'bye' });
  });

  it('decodes with a reader schema that differs from the writer only outside its canonical form', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const writer = { type: 'record', name: 'Reading', fields: [{ name: 'a', type: 'int' }] };
    const reader = { type: 'record', name: 'Reading', doc: 'a reading', fields: [{ name: 'a', type: 'int', doc: 'the value' }] };
    const bytes = await serde.encode('demo-value', { a: 7 }, { schema: writer });
    for (let i = 0; i < 2; i++) expect((await serde.decode(bytes, { readerSchema: reader })).value).toEqual({ a: 7 });
    expect(await codeOf(serde.decode(bytes.subarray(0, bytes.length - 1), { readerSchema: reader }))).toBe('ZEN_DECODE_TRUNCATED');
  });

  it('refuses a reader schema that cannot read the writer', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const bytes = await serde.encode('demo-value', 'text', { schema: 'string' });
    expect(await codeOf(serde.decode(bytes, { readerSchema: 'int' }))).toBe('ZEN_SCHEMA_INCOMPATIBLE');
  });

  it('names the bad field when a value does not match', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const bad = { ...telemetry, timestamp: 'yesterday' } as unknown as TelemetryRaw;
    await expect(serde.encode('zenthos.telemetry.raw-value', bad)).rejects.toMatchObject({
      code: 'ZEN_PAYLOAD_INVALID',
      message: expect.stringContaining('timestamp'),
    });
  });

  it('raises ZEN_SCHEMA_UNKNOWN_ID for an id the registry does not know, and remembers it', async () => {
    const registry = createMemoryRegistryClient();
    let calls = 0;
    const counting = { ...registry, getSchemaById: (id: number) => (calls++, registry.getSchemaById(id)) };
    const serde = createSerdeWith(counting);
    const bytes = frame(4242, Buffer.from([2]));
    expect(await codeOf(serde.decode(bytes))).toBe('ZEN_SCHEMA_UNKNOWN_ID');
    expect(await codeOf(serde.decode(bytes))).toBe('ZEN_SCHEMA_UNKNOWN_ID');
    expect(calls).toBe(1);
    expect(await codeOf(serde.decode(frame(0, Buffer.from([2]))))).toBe('ZEN_SCHEMA_UNKNOWN_ID');
  });

  it('turns corrupt payloads into coded errors', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const bytes = await serde.encode('zenthos.telemetry.raw-value', telemetry);
    expect(await codeOf(serde.decode(bytes.subarray(0, bytes.length - 3)))).toBe('ZEN_DECODE_TRUNCATED');
    expect(await codeOf(serde.decode(Buffer.concat([Buffer.from([1]), bytes.subarray(1)])))).toBe('ZEN_DECODE_BAD_MAGIC');
    expect(await codeOf(serde.decode(Buffer.concat([bytes, Buffer.from([0])])))).toBe('ZEN_DECODE_FAILED');
  });

  it('without autoRegister, needs the schema to be registered already', async () => {
    const registry = createMemoryRegistryClient();
    const serde = createSerdeWith(registry, { autoRegister: false });
    expect(await codeOf(serde.encode('zenthos.telemetry.raw-value', telemetry))).toBe('ZEN_NOT_FOUND');
    await registry.register('zenthos.telemetry.raw-value', JSON.stringify(contracts['telemetry-raw'].schema));
    expect((await serde.encode('zenthos.telemetry.raw-value', telemetry))[0]).toBe(0);
  });

  it('encodes with the latest registered schema for subjects that are not contracts', async () => {
    const registry = createMemoryRegistryClient();
    const id = await registry.register('other-value', '{"type":"array","items":"int"}');
    const serde = createSerdeWith(registry);
    const bytes = await serde.encode('other-value', [1, 2, 3]);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect((await serde.decode(bytes)).value).toEqual([1, 2, 3]);
  });

  it('encodes and decodes without a promise once the schemas are cached, with the same bytes, values and errors', async () => {
    const writer = createSerdeWith(createMemoryRegistryClient());
    const subject = 'zenthos.telemetry.raw-value';
    const options = { schema: contracts['telemetry-raw'].schema };
    expect(writer.encodeCached(subject, telemetry, options)).toBeUndefined();
    const bytes = await writer.encode(subject, telemetry, options);
    expect(writer.encodeCached(subject, telemetry, options)).toEqual(bytes);
    // Another subject, or the default schema of this one, is not cached by that call.
    expect(writer.encodeCached('other-value', telemetry, options)).toBeUndefined();
    expect(writer.encodeCached(subject, telemetry)).toBeUndefined();
    expect(() => writer.encodeCached(subject, { ...telemetry, timestamp: 'soon' } as never, options)).toThrow(
      expect.objectContaining({ code: 'ZEN_PAYLOAD_INVALID' }),
    );

    // A reader that has not met the writer's id yet must fetch it first.
    const reader = createSerdeWith(writer.registry);
    const readerOptions = { readerSchema: contracts['telemetry-raw'].schema };
    expect(reader.decodeCached(bytes, readerOptions)).toBeUndefined();
    const decoded = await reader.decode<TelemetryRaw>(bytes, readerOptions);
    expect(reader.decodeCached<TelemetryRaw>(bytes, readerOptions)).toEqual(decoded);
    expect(decoded.value).toEqual(telemetry);
    const codeThrown = (fn: () => unknown): string | undefined => {
      try {
        fn();
        return undefined;
      } catch (err) {
        return isZenthosError(err) ? err.code : `not coded: ${String(err)}`;
      }
    };
    expect(codeThrown(() => reader.decodeCached(bytes.subarray(0, bytes.length - 3)))).toBe('ZEN_DECODE_TRUNCATED');
    expect(codeThrown(() => reader.decodeCached(Buffer.concat([Buffer.from([1]), bytes.subarray(1)])))).toBe('ZEN_DECODE_BAD_MAGIC');
    expect(codeThrown(() => reader.decodeCached(bytes.subarray(0, 3)))).toBe('ZEN_DECODE_TRUNCATED');
  });
});
