import { randomBytes, randomUUID } from 'node:crypto';
import { commonEnv, loadConfig, ZenthosError } from '@zenthos/core';
import { createKafkajs, createRdkafkaProducer, ensureTopics, type ProducerPort } from '@zenthos/kafka';
import { contracts, createMemoryRegistryClient, createSerde, type StatusEnriched } from '@zenthos/schemas';
import { startHarness, type Harness } from './harness';

const { KAFKA_BROKERS } = loadConfig({ KAFKA_BROKERS: commonEnv.KAFKA_BROKERS }, process.env);

describe('OTA reports from device status messages (Kafka)', () => {
  const topic = `test${randomBytes(5).toString('hex')}.status.enriched`;
  const serde = createSerde({ registry: createMemoryRegistryClient() });
  const admin = createKafkajs({ brokers: KAFKA_BROKERS, clientId: 'zenthos-ota-test' }).admin();
  let producer: ProducerPort;
  let h: Harness;
  const tokens = new Map<string, string>();

  const status = (deviceId: string, ota: StatusEnriched['ota']): StatusEnriched => ({
    message_id: randomUUID(),
    device_id: deviceId,
    device_model: 'esp32-s3',
    timestamp: Math.floor(Date.now() / 1000),
    state: 'updating',
    firmware_version: 'v1.0.0',
    model_version: null,
    uptime_s: 10,
    rssi_dbm: null,
    free_heap_bytes: null,
    ota,
    ingest_ts: Date.now(),
    owner: null,
    location: null,
    metadata: {},
    known_device: true,
    enriched_ts: Date.now(),
  });
  const report = (state: 'installed' | 'failed', version = 'v2.0.0') => ({
    state,
    release_version: version,
    artifact: 'firmware' as const,
    rollout_id: null,
    progress_pct: null,
    error: null,
  });
  const produce = async (values: StatusEnriched[], raw: Buffer[] = []): Promise<void> => {
    const records = await Promise.all(
      values.map(async (v) => ({
        topic,
        key: v.device_id,
        value: await serde.encode(`${topic}-value`, v, { schema: contracts['status-enriched'].schema }),
      })),
    );
    await producer.send([...records, ...raw.map((value) => ({ topic, key: 'garbage', value }))]);
  };
  const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 300; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`gave up waiting for ${what}`);
  };

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 1 }]);
    producer = createRdkafkaProducer({ brokers: KAFKA_BROKERS, clientId: 'zenthos-ota-test' });
    await producer.connect();
    h = await startHarness(
      { OTA_STATUS_FROM_KAFKA: 'true', OTA_STATUS_TOPIC: topic, OTA_STATUS_GROUP_ID: `ota-test-${randomBytes(4).toString('hex')}` },
      { serde },
    );
    for (const id of ['st-1', 'st-2']) tokens.set(id, (await h.ota.parts.devices.registerDevice({ id, model: 'esp32-s3' })).token);
  });
  afterAll(async () => {
    await h?.close();
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('applies reports to the rollout and pauses it over the threshold; skips what it cannot use', async () => {
    await h.publish({ device_model: 'esp32-s3', version: 'v1.0.0' }, Buffer.alloc(10, 1));
    await h.publish({ device_model: 'esp32-s3', version: 'v2.0.0' }, Buffer.alloc(10, 2));
    const created = await h.call('POST', '/rollouts', {
      token: h.tokens.publish,
      json: {
        device_model: 'esp32-s3',
        version: 'v2.0.0',
        cohort: { type: 'devices', deviceIds: ['st-1', 'st-2'] },
        stages: [{ percent: 100, failureThreshold: 0.4, minDevices: 2 }],
      },
    });
    const rollout = (await created.json()) as { id: string };

    await produce(
      [status('st-1', report('installed')), status('ghost', report('failed')), status('st-2', null)],
      [Buffer.from('not avro')],
    );
    await until('st-1 installed', async () => (await h.ota.parts.devices.getDevice('st-1'))?.firmwareVersion === 'v2.0.0');
    expect(((await (await h.call('GET', `/rollouts/${rollout.id}`, { token: h.tokens.read })).json()) as { status: string }).status).toBe(
      'active',
    );

    await produce([status('st-2', report('failed'))]);
    await until('the rollout to pause', async () => {
      const r = (await (await h.call('GET', `/rollouts/${rollout.id}`, { token: h.tokens.read })).json()) as { status: string };
      return r.status === 'paused';
    });
    const view = (await (await h.call('GET', `/rollouts/${rollout.id}`, { token: h.tokens.read })).json()) as {
      reports: Record<string, Record<string, number>>;
    };
    expect(view.reports['0']).toEqual({ installed: 1, failed: 1 });
    const st2 = (await (await h.call('GET', '/device/st-2/status', { token: tokens.get('st-2') as string })).json()) as {
      ota: { state: string };
    };
    expect(st2.ota).toMatchObject({ state: 'failed', version: 'v2.0.0' });
    expect(h.ota.statusConsumer?.stats()).toEqual({ applied: 2, skipped: 2 });
  });
});

describe('OTA reports from Kafka while the schema registry does not answer', () => {
  const topic = `test${randomBytes(5).toString('hex')}.status.enriched`;
  const inner = createSerde({ registry: createMemoryRegistryClient() });
  // The registry is down for the first decodes: the serde fails as it does then (retriable).
  let outages = 3;
  const serde = {
    decode: <T>(bytes: Uint8Array) =>
      outages-- > 0 ? Promise.reject(new ZenthosError('ZEN_SCHEMA_REGISTRY_FAILED', 'registry unavailable', true)) : inner.decode<T>(bytes),
  };
  const admin = createKafkajs({ brokers: KAFKA_BROKERS, clientId: 'zenthos-ota-test' }).admin();
  let producer: ProducerPort;
  let h: Harness;

  beforeAll(async () => {
    await admin.connect();
    await ensureTopics(admin, [{ topic, partitions: 1 }]);
    producer = createRdkafkaProducer({ brokers: KAFKA_BROKERS, clientId: 'zenthos-ota-test' });
    await producer.connect();
    h = await startHarness(
      { OTA_STATUS_FROM_KAFKA: 'true', OTA_STATUS_TOPIC: topic, OTA_STATUS_GROUP_ID: `ota-test-${randomBytes(4).toString('hex')}` },
      { serde },
    );
    await h.ota.parts.devices.registerDevice({ id: 'reg-1', model: 'esp32-s3' });
  });
  afterAll(async () => {
    await h?.close();
    await producer?.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('waits the outage out instead of skipping the report', async () => {
    const value: StatusEnriched = {
      message_id: randomUUID(),
      device_id: 'reg-1',
      device_model: 'esp32-s3',
      timestamp: Math.floor(Date.now() / 1000),
      state: 'online',
      firmware_version: 'v1.1.0',
      model_version: null,
      uptime_s: 1,
      rssi_dbm: null,
      free_heap_bytes: null,
      ota: { state: 'installed', release_version: 'v1.1.0', artifact: 'firmware', rollout_id: null, progress_pct: null, error: null },
      ingest_ts: Date.now(),
      owner: null,
      location: null,
      metadata: {},
      known_device: true,
      enriched_ts: Date.now(),
    };
    await producer.send([
      { topic, key: 'reg-1', value: await inner.encode(`${topic}-value`, value, { schema: contracts['status-enriched'].schema }) },
    ]);
    for (let i = 0; i < 300 && (await h.ota.parts.devices.getDevice('reg-1'))?.firmwareVersion !== 'v1.1.0'; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await h.ota.parts.devices.getDevice('reg-1'))?.firmwareVersion).toBe('v1.1.0');
    expect(outages).toBeLessThan(0);
    expect(h.ota.statusConsumer?.stats()).toEqual({ applied: 1, skipped: 0 });
  });
});
