import { createMemoryRegistryClient, createSerdeWith, parseSchema } from '@zenthos/schemas';
import { contractOfKind } from './payload';
import { createFrameWriter } from './wire';

const record = {
  message_id: '0b7f2a44-2f0c-4a57-9a1e-6f3e0e6b9d21',
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: 1_764_500_000,
  sensors: { temperature: 26.7, humidity: 61 },
  firmware_version: 'v0.1.0',
  model_version: null,
  ingest_ts: 1_764_500_000_123,
};
const schema = contractOfKind.telemetry.schema;
const type = parseSchema(schema);

describe('createFrameWriter', () => {
  it('writes the bytes the serde writes and decodes', async () => {
    const serde = createSerdeWith(createMemoryRegistryClient());
    const expected = await serde.encode('t-value', record, { schema });
    const id = await serde.schemaId('t-value', schema);
    const bytes = createFrameWriter().write(type, id, record);
    expect(Buffer.from(bytes).equals(expected)).toBe(true);
    expect((await serde.decode(bytes)).value).toEqual(record);
  });

  it('grows its buffer for a record larger than it', () => {
    const writer = createFrameWriter(8);
    const big = { ...record, sensors: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`s${i}`, i])) };
    const bytes = writer.write(type, 7, big);
    expect(bytes.readInt32BE(1)).toBe(7);
    expect(type.fromBuffer(bytes.subarray(5))).toEqual(big);
    expect(type.fromBuffer(writer.write(type, 7, record).subarray(5))).toEqual(record);
  });

  it('throws for a value the type refuses', () => {
    expect(() => createFrameWriter().write(type, 1, { ...record, timestamp: 'soon' })).toThrow();
  });
});
