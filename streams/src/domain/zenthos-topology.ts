import { recordKinds, type RecordKind } from './kinds';
import type { ProcessorDecl, SinkDecl, SourceDecl, TopicDecl, Topology } from './topology';

const DAY_MS = 86_400_000;

const raw = (): TopicDecl => ({ partitions: 4, replicationFactor: 1, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete' });
const enriched = (): TopicDecl => ({ partitions: 4, replicationFactor: 1, retentionMs: 7 * DAY_MS, cleanupPolicy: 'delete' });

const chain = (kind: RecordKind): Record<string, ProcessorDecl> => ({
  [`${kind}-validate`]: { use: 'validate', kind, parents: [kind], input: `${kind}-raw`, output: `${kind}-raw` },
  [`${kind}-enrich`]: { use: 'enrich', kind, parents: [`${kind}-validate`], input: `${kind}-raw`, output: `${kind}-enriched` },
  [`${kind}-dedupe`]: { use: 'dedupe', kind, parents: [`${kind}-enrich`], input: `${kind}-enriched`, output: `${kind}-enriched` },
});

const each = <T>(f: (kind: RecordKind) => Record<string, T>): Record<string, T> => Object.assign({}, ...recordKinds.map(f));

/**
 * The Zenthos stream graph (DESIGN.md): for each message kind, `<kind>.raw` → validate →
 * enrich → dedupe → `<kind>.enriched`; every processor may dead-letter to `dlq`. The runtime,
 * `zenthos topology …` and the tests all read this one declaration.
 */
export const zenthosTopology: Topology = {
  topics: {
    ...each((k): Record<string, TopicDecl> => ({ [`${k}.raw`]: raw(), [`${k}.enriched`]: enriched() })),
    // Dead letters wait for a human: kept four weeks.
    dlq: { partitions: 1, replicationFactor: 1, retentionMs: 28 * DAY_MS, cleanupPolicy: 'delete' },
  },
  subjects: each((k) => ({ [`${k}.raw-value`]: `${k}-raw`, [`${k}.enriched-value`]: `${k}-enriched` })),
  sources: each((k): Record<string, SourceDecl> => ({ [k]: { topic: `${k}.raw` } })),
  processors: each(chain),
  sinks: each((k): Record<string, SinkDecl> => ({ [`${k}-enriched`]: { topic: `${k}.enriched`, parents: [`${k}-dedupe`] } })),
  deadLetterTopic: 'dlq',
};
