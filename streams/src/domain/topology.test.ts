import { checkTopology, planPipeline, type Topology } from './topology';
import { describeJson, describeMermaid, describeTree } from './describe';
import { zenthosTopology } from './zenthos-topology';

const base = zenthosTopology;
const withProcessors = (processors: Topology['processors']): Topology => ({ ...base, processors: { ...base.processors, ...processors } });

describe('topology check', () => {
  it('accepts the Zenthos topology', () => {
    expect(checkTopology(zenthosTopology)).toEqual([]);
  });

  it.each([
    [
      'an unknown parent',
      withProcessors({ 'telemetry-enrich': { ...base.processors['telemetry-enrich']!, parents: ['telemetry-validat'] } }),
      { code: 'unknown-parent', node: 'telemetry-enrich', message: 'processor "telemetry-enrich" has unknown parent "telemetry-validat"' },
    ],
    [
      'a cycle',
      withProcessors({ 'telemetry-validate': { ...base.processors['telemetry-validate']!, parents: ['telemetry', 'telemetry-dedupe'] } }),
      { code: 'cycle', message: 'nodes form a cycle: telemetry-validate → telemetry-enrich → telemetry-dedupe → telemetry-validate' },
    ],
    [
      'a sink topic that is not declared',
      { ...base, sinks: { ...base.sinks, extra: { topic: 'nowhere', parents: ['telemetry-dedupe'] } } },
      { code: 'missing-topic', node: 'extra', message: '"extra" uses topic "nowhere", which is not declared in topics' },
    ],
    [
      'a topic without a subject',
      { ...base, subjects: Object.fromEntries(Object.entries(base.subjects).filter(([k]) => k !== 'status.enriched-value')) },
      {
        code: 'missing-subject',
        node: 'status-enriched',
        message: '"status-enriched" uses topic "status.enriched", whose subject "status.enriched-value" is not declared',
      },
    ],
    [
      'a processor reading a schema its parent does not write',
      withProcessors({
        'telemetry-dedupe': { ...base.processors['telemetry-dedupe']!, input: 'status-enriched', output: 'status-enriched' },
      }),
      { code: 'incompatible-schema', node: 'telemetry-dedupe' },
    ],
    [
      'a node without parents',
      withProcessors({ orphan: { use: 'dedupe', kind: 'telemetry', parents: [], input: 'telemetry-raw', output: 'telemetry-raw' } }),
      { code: 'no-parents', node: 'orphan', message: 'processor "orphan" has no parents' },
    ],
    [
      'a schema that is no contract',
      withProcessors({ 'telemetry-dedupe': { ...base.processors['telemetry-dedupe']!, output: 'telemetry-enrichd' } }),
      { code: 'unknown-schema', node: 'telemetry-dedupe' },
    ],
  ] as const)('names %s', (_name, topology, expected) => {
    expect(checkTopology(topology)).toContainEqual(expect.objectContaining(expected));
  });

  it('accepts an inline schema that can read the parent output (a compatible reader)', () => {
    const reader = {
      schema: { type: 'record', name: 'TelemetryEnriched', namespace: 'io.zenthos', fields: [{ name: 'message_id', type: 'string' }] },
    };
    const t = withProcessors({ 'telemetry-dedupe': { ...base.processors['telemetry-dedupe']!, input: reader } });
    expect(checkTopology(t).filter((p) => p.code === 'incompatible-schema')).toEqual([]);
  });
});

describe('planPipeline', () => {
  it('walks a source through its processors to its sink', () => {
    const plan = planPipeline(zenthosTopology, 'telemetry');
    expect(plan.sourceTopic).toBe('telemetry.raw');
    expect(plan.steps.map((s) => s.decl.use)).toEqual(['validate', 'enrich', 'dedupe']);
    expect(plan.sinkTopics).toEqual(['telemetry.enriched']);
  });

  it('refuses an unknown source, naming the known ones', () => {
    expect(() => planPipeline(zenthosTopology, 'nope')).toThrow(/no source "nope"; sources: telemetry, status, inference, logs/);
  });
});

describe('describe', () => {
  it('draws a tree with full topic names', () => {
    const tree = describeTree(zenthosTopology, 'zenthos');
    expect(tree).toContain(
      'telemetry  ← source zenthos.telemetry.raw (4 partitions, rf 1, retention 168 h, delete; subject zenthos.telemetry.raw-value)',
    );
    expect(tree).toContain('└─ telemetry-validate  [validate] telemetry-raw → telemetry-raw');
    expect(tree).toContain('         └─ telemetry-enriched  → sink zenthos.telemetry.enriched');
  });

  it('writes Mermaid edges and JSON with the prefix', () => {
    expect(describeMermaid(zenthosTopology, 'p')).toContain('  telemetry_enrich --> telemetry_dedupe');
    expect(describeJson(zenthosTopology, 'p')).toMatchObject({ deadLetterTopic: 'p.dlq', sources: { logs: { topic: 'p.logs.raw' } } });
  });
});
