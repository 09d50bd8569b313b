import type { Admin } from 'kafkajs';

/** Lag of one partition for one consumer group. */
export interface GroupPartitionLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** Committed offset; -1 when the group has committed nothing there yet. */
  readonly committed: number;
  readonly end: number;
  readonly lag: number;
}

/**
 * Consumer lag per group and partition from the committed offsets (what a restarted member
 * resumes from) and the partitions' high watermarks. Groups are those whose id starts with
 * `groupPrefix`, or exactly `group`.
 */
export async function consumerLag(admin: Admin, opts: { group?: string; groupPrefix?: string }): Promise<GroupPartitionLag[]> {
  const { groups } = await admin.listGroups();
  const ids = groups
    .map((g) => g.groupId)
    .filter((id) => (opts.group !== undefined ? id === opts.group : opts.groupPrefix === undefined || id.startsWith(opts.groupPrefix)))
    .sort();
  const out: GroupPartitionLag[] = [];
  const endsByTopic = new Map<string, Map<number, { high: number; low: number }>>();
  for (const group of ids) {
    const offsets = await admin.fetchOffsets({ groupId: group });
    for (const t of offsets) {
      let ends = endsByTopic.get(t.topic);
      if (!ends) {
        ends = new Map((await admin.fetchTopicOffsets(t.topic)).map((p) => [p.partition, { high: Number(p.high), low: Number(p.low) }]));
        endsByTopic.set(t.topic, ends);
      }
      for (const p of t.partitions) {
        const end = ends.get(p.partition) ?? { high: 0, low: 0 };
        const committed = Number(p.offset);
        const lag = committed < 0 ? end.high - end.low : Math.max(0, end.high - committed);
        out.push({ group, topic: t.topic, partition: p.partition, committed, end: end.high, lag });
      }
    }
  }
  return out;
}
