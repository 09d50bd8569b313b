import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes } from 'kafkajs';
import { createKafkajs } from '@zenthos/kafka';
import { applyTopics, missingTopics } from '../src/adapters/topic-admin';
import type { Topology } from '../src/domain/topology';
import { zenthosTopology } from '../src/domain/zenthos-topology';
import { env } from './support';

describe('topology apply', () => {
  const prefix = `test-${randomBytes(5).toString('hex')}`;
  const admin = createKafkajs({ brokers: env.KAFKA_BROKERS, clientId: 'streams-test-apply' }).admin();
  // A small topology: two topics are enough to see create, alter and add partitions.
  const topology: Topology = {
    ...zenthosTopology,
    topics: { 'telemetry.raw': zenthosTopology.topics['telemetry.raw']!, dlq: zenthosTopology.topics.dlq! },
  };
  beforeAll(() => admin.connect());
  afterAll(async () => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
  });

  it('creates missing topics, then changes nothing, then alters what the topology changed', async () => {
    expect(await missingTopics(admin, topology, prefix)).toEqual([`${prefix}.telemetry.raw`, `${prefix}.dlq`]);
    expect((await applyTopics(admin, topology, prefix)).map((c) => c.action)).toEqual(['created', 'created']);
    expect(await missingTopics(admin, topology, prefix)).toEqual([]);
    expect((await applyTopics(admin, topology, prefix)).map((c) => c.action)).toEqual(['unchanged', 'unchanged']);

    const changed: Topology = {
      ...topology,
      topics: {
        'telemetry.raw': { ...topology.topics['telemetry.raw']!, partitions: 6, retentionMs: 3_600_000 },
        dlq: { ...topology.topics.dlq!, cleanupPolicy: 'compact,delete' },
      },
    };
    expect(await applyTopics(admin, changed, prefix, { dryRun: true })).toEqual([
      { topic: `${prefix}.telemetry.raw`, action: 'partitions-added', detail: 'partitions 4 → 6; retention.ms → 3600000' },
      { topic: `${prefix}.dlq`, action: 'altered', detail: 'cleanup.policy → compact,delete' },
    ]);
    await applyTopics(admin, changed, prefix);
    const meta = await admin.fetchTopicMetadata({ topics: [`${prefix}.telemetry.raw`] });
    expect(meta.topics[0]?.partitions).toHaveLength(6);
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: `${prefix}.dlq`, configNames: ['cleanup.policy'] }],
    });
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('compact,delete');
    expect((await applyTopics(admin, changed, prefix)).map((c) => c.action)).toEqual(['unchanged', 'unchanged']);
    // Kafka cannot take partitions away: reported, not attempted.
    expect((await applyTopics(admin, topology, prefix)).find((c) => c.topic === `${prefix}.telemetry.raw`)).toMatchObject({
      action: 'cannot-change',
    });
  });
});
