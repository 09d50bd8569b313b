// The visibility observer's own process (see visibility.ts): a read_committed reader of the
// enriched topic whose event loop does nothing else, so the time it notes for a record is not
// held back by the load generator's work. Settings come as JSON in argv[2]; `stop` on the IPC
// channel ends reading, and the decoded sightings go back as one message.
import { createRdkafkaConsumer } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import type { EnrichedSighting, ObserverSettings } from './visibility';

/**
 * The broker answers the observer's fetch once this many committed bytes wait for it, or after
 * FETCH_WAIT_MS. A processor transaction under benchmark load commits far more (hundreds of
 * records of a few hundred bytes each), so a commit is seen as soon as the broker has it; only
 * when less than this trickles in is a record seen up to FETCH_WAIT_MS late.
 */
const FETCH_MIN_BYTES = 16 * 1024;

/**
 * Longest wait of a fetch. Each fetch costs the shared broker CPU that the bench counts in its
 * figure: with 10 ms and 1 byte the caught-up observer asked about 100 times a second between
 * the processor's commits (at least 50 ms apart); now about 20.
 */
const FETCH_WAIT_MS = 50;

async function main(settings: ObserverSettings): Promise<void> {
  const consumer = createRdkafkaConsumer(
    { brokers: settings.brokers, clientId: 'zenthos-bench-observer', groupId: settings.group, fromBeginning: true },
    // Bounded broker-side waits, and a poll that returns as soon as the partitions are drained
    // (partition EOF), so arrival times are not held back by batching on the observer's side.
    { 'fetch.wait.max.ms': FETCH_WAIT_MS, 'fetch.min.bytes': FETCH_MIN_BYTES, 'enable.partition.eof': true },
  );
  await consumer.connect();
  await consumer.subscribe([settings.topic]);
  const seen: Array<{ value: Buffer; visibleMs: number }> = [];
  let stopped = false;
  process.on('message', (m) => {
    if (m === 'stop') stopped = true;
  });
  // Ready once the warm-up's records (already committed) come in: the group has been joined
  // and the partitions assigned, which takes the broker's group.initial.rebalance.delay.ms
  // (3 s by default). Records of the measured run seen before that would get late times.
  const readyBy = Date.now() + 60_000;
  let ready = false;
  while (!stopped) {
    // Small polls: consume(n) keeps collecting while records keep coming, and every record of
    // a poll gets the time the poll returned.
    const records = await consumer.poll(100, 50).catch(() => []);
    const now = Date.now();
    for (const r of records) if (r.value) seen.push({ value: r.value, visibleMs: now });
    if (!ready && (seen.length > 0 || now > readyBy)) {
      ready = true;
      process.send?.('ready');
    }
  }
  await consumer.disconnect();
  const serde = createSerde({ registryUrl: settings.registryUrl });
  const out: EnrichedSighting[] = [];
  const ids = new Set<string>();
  for (const s of seen) {
    const decoded = await serde
      .decode<{ message_id: string; ingest_ts: number | Date; enriched_ts: number | Date }>(s.value)
      .catch(() => undefined);
    const v = decoded?.value;
    if (!v || ids.has(v.message_id)) continue;
    ids.add(v.message_id);
    out.push({ messageId: v.message_id, bridgeMs: Number(v.ingest_ts), processedMs: Number(v.enriched_ts), visibleMs: s.visibleMs });
  }
  process.send?.({ sightings: out }, () => process.exit(0));
}

main(JSON.parse(process.argv[2] ?? '{}') as ObserverSettings).catch((err: unknown) => {
  process.stderr.write(`visibility observer: ${(err as Error).message}\n`);
  process.exit(1);
});
