import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { loadConfig, commonEnv } from '@zenthos/core';
import {
  createKafkajs,
  createKafkajsProducer,
  createRdkafkaConsumer,
  createRdkafkaProducer,
  ensureTopics,
  nextPosition,
  readTopic,
  type IncomingRecord,
} from '../src';

const { KAFKA_BROKERS: brokers } = loadConfig({ KAFKA_BROKERS: commonEnv.KAFKA_BROKERS }, process.env);
const settings = { brokers, clientId: 'zenthos-test' };

/**
 * Polls a new group member of `topic` until `count` records came (or 30 s passed), committing
 * each poll's last position right after it, and leaves the group.
 */
async function readCommitting(topic: string, count: number, pollMax: number, groupId = `test-${randomUUID()}`): Promise<IncomingRecord[]> {
  const consumer = createRdkafkaConsumer({ ...settings, groupId });
  await consumer.connect();
  await consumer.subscribe([topic]);
  const received: IncomingRecord[] = [];
  const deadline = Date.now() + 30_000;
  while (received.length < count && Date.now() < deadline) {
    const batch = await consumer.poll(pollMax, 500);
    received.push(...batch);
    if (batch.length > 0) await consumer.commit(batch.map(nextPosition));
  }
  await consumer.disconnect();
  return received;
}

describe('Kafka round trip', () => {
  let kafka: Kafka;
  let admin: Admin;
  const topics: string[] = [];
  const newTopic = async (): Promise<string> => {
    const topic = `test.roundtrip.${randomUUID()}`;
    topics.push(topic);
    await ensureTopics(admin, [{ topic, partitions: 2 }]);
    return topic;
  };

  beforeAll(async () => {
    kafka = createKafkajs(settings);
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates topics from two clients at once and returns only when every partition has a leader', async () => {
    const names = Array.from({ length: 12 }, () => `test.roundtrip.${randomUUID()}`);
    topics.push(...names);
    const other = kafka.admin();
    await other.connect();
    try {
      // The second client finds some topics created by the first one (TOPIC_ALREADY_EXISTS) and
      // must still wait for them like for its own.
      await Promise.all([
        ensureTopics(
          admin,
          names.map((topic) => ({ topic, partitions: 3 })),
        ),
        ensureTopics(
          other,
          names.map((topic) => ({ topic, partitions: 3 })),
        ),
      ]);
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      expect(found.map((t) => t.name).sort()).toEqual([...names].sort());
      for (const t of found) {
        expect(t.partitions).toHaveLength(3);
        for (const p of t.partitions) expect(p.leader).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await other.disconnect();
    }
  });

  it('produces with node-rdkafka and consumes with node-rdkafka, committing offsets', async () => {
    const topic = await newTopic();
    const producer = createRdkafkaProducer(settings);
    await producer.connect();
    const sent = Array.from({ length: 50 }, (_, i) => ({
      topic,
      key: `device-${i % 5}`,
      value: Buffer.from(`value-${i}`),
      headers: { message_id: randomUUID() },
    }));
    const deliveries = await producer.send(sent);
    await producer.disconnect();
    expect(deliveries).toHaveLength(50);
    expect(deliveries.every((d) => d.topic === topic && Number(d.offset) >= 0)).toBe(true);

    const groupId = `test-${randomUUID()}`;
    const received = await readCommitting(topic, 50, 100, groupId);
    expect(received.map((r) => r.value?.toString()).sort()).toEqual(sent.map((s) => s.value.toString()).sort());
    const first = received.find((r) => r.value?.toString() === 'value-0');
    expect(first?.key?.toString()).toBe('device-0');
    expect(first?.headers.message_id?.toString()).toBe(sent[0]?.headers.message_id);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(50);
  });

  it('commits asynchronously: concurrent commits each settle once the group accepted them, a refused one rejects coded and retriable', async () => {
    const topic = await newTopic();
    const producer = createRdkafkaProducer(settings);
    await producer.connect();
    await producer.send(
      Array.from({ length: 20 }, (_, i) => ({ topic, key: `device-${i % 4}`, partition: i % 2, value: Buffer.from(`v-${i}`) })),
    );
    await producer.disconnect();

    const groupId = `test-${randomUUID()}`;
    const consumer = createRdkafkaConsumer({ ...settings, groupId });
    await consumer.connect();
    await consumer.subscribe([topic]);
    const received: IncomingRecord[] = [];
    const deadline = Date.now() + 30_000;
    while (received.length < 20 && Date.now() < deadline) received.push(...(await consumer.poll(100, 500)));
    expect(received).toHaveLength(20);
    const last = (p: number): IncomingRecord => received.filter((r) => r.partition === p).at(-1)!;
    const positions = [0, 1].map((p) => nextPosition(last(p)));
    // Two commits in flight at once, no poll running: both settle from their own results.
    const early = positions.map((p) => ({ ...p, offset: String(Number(p.offset) - 1) }));
    await Promise.all([consumer.commit(early), consumer.commit(positions)]);
    const after = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(after[0]!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(20);

    // A topic the cluster does not have: the coordinator refuses the commit.
    const refused = consumer.commit([{ topic: `test.missing.${randomUUID()}`, partition: 0, offset: '1' }]);
    await expect(refused).rejects.toMatchObject({ code: 'ZEN_KAFKA_CONSUME_FAILED', retriable: true });
    await consumer.disconnect();
  });

  it('hands records taken while a commit is answered to the next polls, in order, each once', async () => {
    const topic = await newTopic();
    const producer = createRdkafkaProducer(settings);
    await producer.connect();
    await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: 'device-0', partition: 0, value: Buffer.from(`v-${i}`) })));
    await producer.disconnect();

    // Small polls, each followed by a commit with no poll running: the adapter consumes to get
    // the commit's result and must keep what it took for the following polls.
    const received = await readCommitting(topic, 200, 7);
    expect(received.map((r) => Number(r.offset))).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(received.map((r) => r.value?.toString())).toEqual(Array.from({ length: 200 }, (_, i) => `v-${i}`));
  });

  it('produces with kafkajs and reads back with kafkajs', async () => {
    const topic = await newTopic();
    const producer = createKafkajsProducer(settings);
    await producer.connect();
    await producer.send([
      { topic, key: 'esp32-s3-001', value: Buffer.from('{"t":1}'), headers: { reason: 'ZEN_TEST' } },
      { topic, key: 'esp32-s3-001', value: Buffer.from('{"t":2}') },
    ]);
    await producer.disconnect();
    const records = await readTopic(kafka, topic, { max: 2 });
    expect(records.map((r) => r.value?.toString())).toEqual(['{"t":1}', '{"t":2}']);
    expect(records[0]?.headers.reason?.toString()).toBe('ZEN_TEST');
  });
});
