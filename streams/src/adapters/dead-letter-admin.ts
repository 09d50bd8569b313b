import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { createRdkafkaConsumer, type IncomingRecord, type ProducerPort } from '@zenthos/kafka';
import { matchesFilter, parseDeadLetter, toReplay, type DeadLetter, type DeadLetterFilter } from '../domain/dead-letter';

/**
 * Reads a whole topic once with a throw-away group, read_committed, on node-rdkafka (which
 * reads every compression codec the processors write, lz4 included). It stops when every
 * partition reached the end offset it had when reading began or, since transaction markers
 * take offsets that are never delivered, `idleMs` after the last record; before the first
 * record it waits up to `firstRecordMs` (joining a group takes a few seconds).
 */
export async function readWholeTopic(
  settings: { brokers: readonly string[]; admin: Admin },
  topic: string,
  opts: { max?: number; idleMs?: number; firstRecordMs?: number } = {},
): Promise<IncomingRecord[]> {
  const max = opts.max ?? 100_000;
  const ends = new Map((await settings.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  const pending = new Set([...ends].filter(([, high]) => high > 0).map(([p]) => p));
  const records: IncomingRecord[] = [];
  if (pending.size === 0) return records;
  const consumer = createRdkafkaConsumer({
    brokers: settings.brokers,
    clientId: 'zenthos-cli-reader',
    groupId: `zenthos-reader-${randomUUID()}`,
  });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    const started = Date.now();
    let last = 0;
    while (pending.size > 0 && records.length < max) {
      const batch = await consumer.poll(Math.min(1_000, max - records.length), 200);
      for (const r of batch) {
        records.push(r);
        if (Number(r.offset) + 1 >= (ends.get(r.partition) ?? 0)) pending.delete(r.partition);
      }
      if (batch.length > 0) last = Date.now();
      else if (last === 0 ? Date.now() - started > (opts.firstRecordMs ?? 20_000) : Date.now() - last > (opts.idleMs ?? 1_500)) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Reads the dead letters of `dlqTopic` that pass `filter` (from the beginning of the topic). */
export async function listDeadLetters(
  kafka: { brokers: readonly string[]; admin: Admin },
  dlqTopic: string,
  filter: DeadLetterFilter,
  opts: { max?: number; idleMs?: number } = {},
): Promise<DeadLetter[]> {
  const records = await readWholeTopic(kafka, dlqTopic, opts);
  return records
    .map(parseDeadLetter)
    .filter((d): d is DeadLetter => d !== undefined && matchesFilter(d, filter))
    .sort((a, b) => a.dlqPartition - b.dlqPartition || Number(BigInt(a.dlqOffset) - BigInt(b.dlqOffset)));
}

/** Re-sends dead letters to their source topics (after the cause was fixed); returns how many. */
export async function replayDeadLetters(
  producer: ProducerPort,
  letters: readonly DeadLetter[],
  onProgress?: (done: number) => void,
): Promise<number> {
  let done = 0;
  for (let i = 0; i < letters.length; i += 500) {
    const chunk = letters.slice(i, i + 500);
    await producer.send(chunk.map(toReplay));
    done += chunk.length;
    onProgress?.(done);
  }
  return done;
}
