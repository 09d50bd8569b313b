import { randomUUID } from 'node:crypto';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel } from 'kafkajs';
import { isZenthosError } from '@zenthos/core';
import { createHttpRegistryClient, createSerde, contracts, frame, type TelemetryRaw } from '../src';
import { startRegistry, type RunningRegistry } from '../src/main';
import { evolutionCases } from './evolution-cases';

// The registry against the real Kafka, with a topic of its own per run so runs never collide.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = `_schemas-test-${randomUUID()}`;
const kafka = new Kafka({ clientId: 'schemas-test', brokers, logLevel: logLevel.NOTHING });
const start = (): Promise<RunningRegistry> => startRegistry({ brokers, port: 0, host: '127.0.0.1', topic, logLevel: 'silent' });

const telemetry: TelemetryRaw = {
  message_id: '6f1d1f5e-8d7e-4b8f-9a1e-2c3b4d5e6f70',
  device_id: 'esp32-s3-042',
  device_model: 'esp32-s3',
  timestamp: 1691020800,
  sensors: { temperature: 21.5 },
  firmware_version: 'v0.2.0',
  model_version: 'm-20250730-abc',
  ingest_ts: 1691020800500,
};

/** Loose view of a JSON answer: any of Confluent's bodies. */
type Answer = { error_code?: number; id?: number; is_compatible?: boolean } & Record<string, unknown>;

let registry: RunningRegistry;

const call = async (method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: Answer }> => {
  const res = await fetch(`${registry.url}${path}`, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  return { status: res.status, body: (await res.json()) as Answer };
};

beforeAll(async () => {
  registry = await start();
});

afterAll(async () => {
  await registry?.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('registry with @kafkajs/confluent-schema-registry', () => {
  const subject = `client-${randomUUID()}-value`;
  const schema = {
    type: 'record',
    name: 'Ping',
    namespace: 'io.zenthos.test',
    fields: [
      { name: 'n', type: 'int' },
      { name: 'tag', type: 'string' },
    ],
  };

  it('registers, encodes, decodes, fetches by id and looks up', async () => {
    const client = new SchemaRegistry({ host: registry.url });
    const { id } = await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });
    expect(id).toBeGreaterThan(0);
    // Registering the same schema again gives the same id.
    expect((await client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })).id).toBe(id);

    const bytes = await client.encode(id, { n: 7, tag: 'x' });
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await client.decode(bytes)).toEqual({ n: 7, tag: 'x' });

    const fresh = new SchemaRegistry({ host: registry.url });
    expect(await fresh.decode(bytes)).toEqual({ n: 7, tag: 'x' });
    expect(await fresh.getRegistryId(subject, 'latest')).toBe(id);
    expect(await fresh.getRegistryId(subject, 1)).toBe(id);
    expect(await fresh.getLatestSchemaId(subject)).toBe(id);
    expect(await fresh.getRegistryIdBySchema(subject, { type: SchemaType.AVRO, schema: JSON.stringify(schema) })).toBe(id);
    // The client set the subject's level on first registration (PUT /config/{subject}).
    expect((await call('GET', `/config/${subject}`)).body).toEqual({ compatibilityLevel: 'BACKWARD' });
  });

  it('interoperates with the Zenthos serde in both directions', async () => {
    const client = new SchemaRegistry({ host: registry.url });
    const serde = createSerde({ registryUrl: registry.url });
    const ours = await serde.encode('zenthos.telemetry.raw-value', telemetry);
    expect(await client.decode(ours)).toEqual(telemetry);
    const { id } = await client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(contracts['telemetry-enriched'].schema) },
      { subject: `enriched-${randomUUID()}` },
    );
    const enriched = {
      ...telemetry,
      owner: 'adrian',
      location: { latitude: 52.5, longitude: 13.4, altitude_m: null, site: 'lab' },
      metadata: { room: '3' },
      known_device: true,
      enriched_ts: 1691020801000,
    };
    const theirs = await client.encode(id, enriched);
    expect(await serde.decode(theirs)).toEqual({ schemaId: id, value: enriched });
    // A newer reader (one more field with a default) resolves the older writer's bytes.
    const base = contracts['telemetry-enriched'].schema;
    const newer = {
      ...base,
      fields: [...base.fields, { name: 'battery_pct', type: ['null', 'double'], default: null, doc: 'Battery level.' }],
    };
    expect((await serde.decode(theirs, { readerSchema: newer })).value).toEqual({ ...enriched, battery_pct: null });
  });
});

describe('Zenthos clients against the running registry', () => {
  const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
    try {
      await p;
      return undefined;
    } catch (err) {
      return isZenthosError(err) ? err.code : `not coded: ${String(err)}`;
    }
  };

  it('decodes untrusted bytes with bounded, coded failures', async () => {
    const serde = createSerde({ registryUrl: registry.url });
    const subject = `bounded-${randomUUID()}-value`;
    const arraySchema = { type: 'array', items: 'null' };
    const good = await serde.encode(subject, [null, null], { schema: arraySchema });
    const id = good.readInt32BE(1);
    expect((await serde.decode(good)).value).toEqual([null, null]);
    // 2^40 zero-byte items would make avsc loop and allocate without end.
    const hugeCount = frame(id, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0x00]));
    expect(await codeOf(serde.decode(hugeCount))).toBe('ZEN_DECODE_LIMIT_EXCEEDED');
    expect(await codeOf(serde.decode(good.subarray(0, 5)))).toBe('ZEN_DECODE_TRUNCATED');
    expect(await codeOf(serde.decode(frame(2_000_000_000, Buffer.from([0]))))).toBe('ZEN_SCHEMA_UNKNOWN_ID');
    const stringId = await serde.schemaId(`bounded-${randomUUID()}-value`, 'string');
    expect(await codeOf(serde.decode(frame(stringId, Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f, 0x41]))))).toBe('ZEN_DECODE_TRUNCATED');
    const unionId = await serde.schemaId(`bounded-${randomUUID()}-value`, ['null', 'string']);
    expect(await codeOf(serde.decode(frame(unionId, Buffer.from([0x08]))))).toBe('ZEN_DECODE_FAILED');
  });

  it('maps registry answers to coded errors', async () => {
    const client = createHttpRegistryClient({ url: registry.url });
    const subject = `codes-${randomUUID()}`;
    await client.register(subject, '{"type":"record","name":"C","fields":[{"name":"a","type":"int"}]}');
    expect(await codeOf(client.lookup(subject, '"string"'))).toBe('ZEN_SCHEMA_NOT_REGISTERED');
    expect(await codeOf(client.register(subject, '{"type":"record","name":"C","fields":[{"name":"a","type":"string"}]}'))).toBe(
      'ZEN_SCHEMA_INCOMPATIBLE',
    );
    expect(await codeOf(client.register(subject, '{"type":"nope"}'))).toBe('ZEN_SCHEMA_INVALID');
    expect(await codeOf(client.getVersion(`missing-${randomUUID()}`, 'latest'))).toBe('ZEN_NOT_FOUND');
    const down = createHttpRegistryClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    const failure = await down.listSubjects().catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'ZEN_SCHEMA_REGISTRY_FAILED', retriable: true });
    const compat = await client.testCompatibility(subject, '{"type":"record","name":"C","fields":[{"name":"a","type":"string"}]}');
    expect(compat.isCompatible).toBe(false);
    expect(compat.messages.join()).toContain('TYPE_MISMATCH');
    expect(await client.getCompatibility(subject)).toBe('BACKWARD');
    await client.setCompatibility('NONE', subject);
    expect(await client.getCompatibility(subject)).toBe('NONE');
    expect(await client.deleteSubject(subject)).toEqual([1]);
    expect(await client.deleteSubject(subject, true)).toEqual([1]);
  });
});

describe('evolution per compatibility level', () => {
  it.each(evolutionCases)('$name under $level → compatible=$compatible', async ({ before, after, level, compatible }) => {
    const subject = `evo-${randomUUID()}`;
    expect((await call('PUT', `/config/${subject}`, { compatibility: level })).status).toBe(200);
    expect((await call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(before) })).status).toBe(200);
    const check = await call('POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: JSON.stringify(after) });
    expect(check.body).toEqual({ is_compatible: compatible });
    const res = await call('POST', `/subjects/${subject}/versions`, { schema: JSON.stringify(after) });
    expect(res.status).toBe(compatible ? 200 : 409);
    if (!compatible) expect(res.body.error_code).toBe(409);
  });
});

describe('bad input', () => {
  it.each([
    ['invalid Avro JSON', 'POST', '/subjects/bad/versions', { schema: '{"type":"enum","name":"E","symbols":[]}' }, undefined, 422, 42201],
    ['unknown subject', 'GET', '/subjects/no-such-subject/versions/latest', undefined, undefined, 404, 40401],
    ['malformed request body', 'POST', '/subjects/bad/versions', undefined, '{"schema": tru', 400, 400],
    ['unknown schema id', 'GET', '/schemas/ids/987654', undefined, undefined, 404, 40403],
  ])('%s → a coded 4xx', async (_name, method, path, body, raw, status, code) => {
    const res = await call(method, path, body, raw);
    expect(res.status).toBe(status);
    expect(res.body.error_code).toBe(code);
  });

  it('unknown version of a known subject → 40402', async () => {
    const subject = `v-${randomUUID()}`;
    await call('POST', `/subjects/${subject}/versions`, { schema: '"string"' });
    const res = await call('GET', `/subjects/${subject}/versions/42`);
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe(40402);
  });
});

describe('restart', () => {
  it('keeps subjects, versions, ids and configs, and never reuses an id', async () => {
    const subject = `restart-${randomUUID()}`;
    const v1 = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
    const v2 = JSON.stringify({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: 'int' },
        { name: 'b', type: 'int', default: 0 },
      ],
    });
    const id1 = (await call('POST', `/subjects/${subject}/versions`, { schema: v1 })).body.id;
    const id2 = (await call('POST', `/subjects/${subject}/versions`, { schema: v2 })).body.id;
    await call('PUT', `/config/${subject}`, { compatibility: 'FULL' });
    await call('DELETE', `/subjects/${subject}/versions/1`);
    const before = {
      subjects: (await call('GET', '/subjects?deleted=true')).body,
      versions: (await call('GET', `/subjects/${subject}/versions?deleted=true`)).body,
      live: (await call('GET', `/subjects/${subject}/versions`)).body,
      latest: (await call('GET', `/subjects/${subject}/versions/latest`)).body,
    };

    await registry.stop();
    registry = await start();

    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(before.subjects);
    expect((await call('GET', `/subjects/${subject}/versions?deleted=true`)).body).toEqual(before.versions);
    expect((await call('GET', `/subjects/${subject}/versions`)).body).toEqual(before.live);
    expect((await call('GET', `/subjects/${subject}/versions/latest`)).body).toEqual(before.latest);
    expect((await call('GET', `/schemas/ids/${id1}`)).body).toEqual({ schema: v1 });
    expect((await call('GET', `/schemas/ids/${id2}`)).body).toEqual({ schema: v2 });
    expect((await call('GET', `/config/${subject}`)).body).toEqual({ compatibilityLevel: 'FULL' });
    const id3 = (await call('POST', `/subjects/other-${randomUUID()}/versions`, { schema: '{"type":"fixed","name":"F","size":3}' })).body
      .id;
    expect(id3).toBeGreaterThan(id2 ?? Infinity);
  });

  it('writes Confluent records to the topic', async () => {
    const records = await readAll(topic);
    const keys = records.map((r) => JSON.parse(r.key.toString('utf8')) as { keytype: string });
    expect(keys.some((k) => k.keytype === 'SCHEMA')).toBe(true);
    expect(keys.some((k) => k.keytype === 'CONFIG')).toBe(true);
    const schemaRecord = records.find((r) => r.key.toString().includes('"SCHEMA"') && r.value !== null)!;
    expect(Object.keys(JSON.parse(schemaRecord.value!.toString()))).toEqual(['subject', 'version', 'id', 'schema', 'deleted']);
  });
});

/** Every record of a topic, read from the start up to its end offset. */
async function readAll(name: string): Promise<Array<{ key: Buffer; value: Buffer | null }>> {
  const admin = kafka.admin();
  await admin.connect();
  const [partition] = await admin.fetchTopicOffsets(name);
  await admin.disconnect();
  const end = BigInt(partition!.high);
  const consumer = kafka.consumer({ groupId: `schemas-test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: Array<{ key: Buffer; value: Buffer | null }> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: name, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key) out.push({ key: message.key, value: message.value });
        if (BigInt(message.offset) + 1n >= end) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}
