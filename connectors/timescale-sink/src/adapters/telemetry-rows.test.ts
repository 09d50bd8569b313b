import { ZenthosError } from '@zenthos/core';
import { contracts, createMemoryRegistryClient, frame, parseSchema, type TelemetryEnriched } from '@zenthos/schemas';
import { createTelemetryRowDecoder } from './telemetry-rows';

const schema = contracts['telemetry-enriched'].schema;
const value: TelemetryEnriched = {
  message_id: '0b7c1a52-1f7e-4c8e-9a51-3f1d2b4c5d6e',
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: 1_796_045_847,
  sensors: { temperature: 21.5, humidity: 40 },
  firmware_version: 'v0.1.0',
  model_version: null,
  ingest_ts: 1_796_045_847_003,
  owner: null,
  location: null,
  metadata: {},
  known_device: true,
  enriched_ts: 1_796_045_847_007,
};

describe('createTelemetryRowDecoder', () => {
  it('reads rows once the writer schema of their id is loaded', async () => {
    const registry = createMemoryRegistryClient();
    const id = await registry.register('t-value', JSON.stringify(schema));
    const bytes = frame(id, parseSchema(schema).toBuffer(value));
    const rows = createTelemetryRowDecoder(registry);
    expect(rows.read(bytes)).toBeNull();
    await rows.load(bytes);
    expect(rows.read(bytes)?.slice(0, 4)).toEqual(['2026-11-30T13:37:27.000Z', value.message_id, value.device_id, value.device_model]);
  });

  it('leaves bytes without the wire format, and ids the registry does not know, to the general decode', async () => {
    const registry = createMemoryRegistryClient();
    const rows = createTelemetryRowDecoder(registry);
    expect(rows.read(Buffer.from('not avro at all'))).toBeUndefined();
    const unknown = frame(999, parseSchema(schema).toBuffer(value));
    await rows.load(unknown);
    expect(rows.read(unknown)).toBeUndefined();
  });

  it('tries a schema again after a registry outage', async () => {
    const registry = createMemoryRegistryClient();
    const id = await registry.register('t-value', JSON.stringify(schema));
    const bytes = frame(id, parseSchema(schema).toBuffer(value));
    let down = true;
    const rows = createTelemetryRowDecoder({
      getSchemaById: async (n) => {
        if (down) throw new ZenthosError('ZEN_SCHEMA_REGISTRY_FAILED', 'registry down', true);
        return registry.getSchemaById(n);
      },
    });
    await rows.load(bytes);
    expect(rows.read(bytes)).toBeNull();
    down = false;
    await rows.load(bytes);
    expect(rows.read(bytes)).toBeDefined();
  });
});
