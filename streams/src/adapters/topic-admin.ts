import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { sleep } from '@zenthos/core';
import { fullTopic, type TopicDecl, type Topology } from '../domain/topology';

/** What `topology apply` did to one topic. */
export interface TopicChange {
  readonly topic: string;
  readonly action: 'created' | 'altered' | 'unchanged' | 'partitions-added' | 'cannot-change';
  readonly detail: string;
}

const wantedConfig = (d: TopicDecl): Record<string, string> => ({
  'retention.ms': String(d.retentionMs),
  'cleanup.policy': d.cleanupPolicy,
});

/**
 * Creates topics and waits for their leaders. A busy broker sometimes answers the leader wait
 * with a retriable metadata error although creation went through: look again and create only
 * what is still missing.
 */
async function createMissing(admin: Admin, topics: ReadonlyArray<readonly [string, TopicDecl]>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const existing = new Set(await admin.listTopics());
    const todo = topics.filter(([name]) => !existing.has(name));
    try {
      if (todo.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: todo.map(([name, d]) => ({
            topic: name,
            numPartitions: d.partitions,
            replicationFactor: d.replicationFactor,
            configEntries: Object.entries(wantedConfig(d)).map(([k, value]) => ({ name: k, value })),
          })),
        });
      }
      await admin.fetchTopicMetadata({ topics: topics.map(([name]) => name) });
      return;
    } catch (err) {
      if (attempt >= 5 || (err as { retriable?: boolean }).retriable === false) throw err;
      await sleep(500 * attempt);
    }
  }
}

/**
 * Makes the broker's topics match the topology, idempotently: creates missing topics, adds
 * partitions, and alters retention and cleanup policy where they differ. What Kafka cannot do
 * (fewer partitions, another replication factor on a live topic) is reported, never forced.
 */
export async function applyTopics(
  admin: Admin,
  topology: Topology,
  prefix: string,
  opts: { dryRun?: boolean; createOnly?: boolean } = {},
): Promise<TopicChange[]> {
  const existing = new Set(await admin.listTopics());
  const changes: TopicChange[] = [];
  const missing = Object.entries(topology.topics).filter(([t]) => !existing.has(fullTopic(prefix, t)));
  if (missing.length > 0 && !opts.dryRun)
    await createMissing(
      admin,
      missing.map(([t, d]) => [fullTopic(prefix, t), d] as const),
    );
  for (const [t, d] of missing)
    changes.push({ topic: fullTopic(prefix, t), action: 'created', detail: `${d.partitions} partitions, rf ${d.replicationFactor}` });

  const present = Object.entries(topology.topics).filter(([t]) => existing.has(fullTopic(prefix, t)));
  if (present.length === 0 || opts.createOnly) return changes;
  const names = present.map(([t]) => fullTopic(prefix, t));
  const metadata = await admin.fetchTopicMetadata({ topics: names });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['retention.ms', 'cleanup.policy'] })),
  });
  for (const [t, d] of present) {
    const name = fullTopic(prefix, t);
    const meta = metadata.topics.find((m) => m.name === name);
    const partitions = meta?.partitions.length ?? 0;
    const replication = meta?.partitions[0]?.replicas.length ?? d.replicationFactor;
    const notes: string[] = [];
    let action: TopicChange['action'] = 'unchanged';
    if (partitions < d.partitions) {
      if (!opts.dryRun) await admin.createPartitions({ topicPartitions: [{ topic: name, count: d.partitions }] });
      action = 'partitions-added';
      notes.push(`partitions ${partitions} → ${d.partitions}`);
    } else if (partitions > d.partitions) {
      action = 'cannot-change';
      notes.push(`has ${partitions} partitions, topology says ${d.partitions}; Kafka cannot remove partitions`);
    }
    if (replication !== d.replicationFactor) {
      action = 'cannot-change';
      notes.push(`replication factor ${replication}, topology says ${d.replicationFactor}; reassign partitions to change it`);
    }
    const current = configs.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    const differing = Object.entries(wantedConfig(d)).filter(([k, v]) => current.find((c) => c.configName === k)?.configValue !== v);
    if (differing.length > 0) {
      if (!opts.dryRun) {
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name,
              configEntries: Object.entries(wantedConfig(d)).map(([k, v]) => ({ name: k, value: v })),
            },
          ],
        });
      }
      if (action === 'unchanged') action = 'altered';
      notes.push(differing.map(([k, v]) => `${k} → ${v}`).join(', '));
    }
    changes.push({ topic: name, action, detail: notes.join('; ') || 'as declared' });
  }
  return changes;
}

/** Topics of the topology that the broker does not have (for `topology check --live`). */
export async function missingTopics(admin: Admin, topology: Topology, prefix: string): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return Object.keys(topology.topics)
    .map((t) => fullTopic(prefix, t))
    .filter((t) => !existing.has(t));
}
