import { ZenthosError } from '@zenthos/core';
import { contracts, parseSchema, type AvroSchema } from '@zenthos/schemas';
import type { RecordKind } from './kinds';

/** How a topic is created (partitions, replication, retention, compaction). */
export interface TopicDecl {
  readonly partitions: number;
  readonly replicationFactor: number;
  /** `retention.ms`; -1 keeps records forever. */
  readonly retentionMs: number;
  /** `cleanup.policy`: delete old segments, compact by key, or both. */
  readonly cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
}

/** A schema: a contract of schemas/avro by file name (`telemetry-raw`), or an inline Avro schema. */
export type SchemaRef = string | { readonly schema: AvroSchema };

/** Reads a topic; its records are decoded with the topic's subject. */
export interface SourceDecl {
  readonly topic: string;
}

/** The processors the runtime knows. */
export const processorTypes = ['validate', 'enrich', 'dedupe'] as const;

/** One of {@link processorTypes}. */
export type ProcessorType = (typeof processorTypes)[number];

/** A processor node: a pure function over records (streams/src/domain). */
export interface ProcessorDecl {
  readonly use: ProcessorType;
  /** Which message kind the records are (drives validate's required fields). */
  readonly kind: RecordKind;
  readonly parents: readonly string[];
  /** Schema the processor reads. */
  readonly input: SchemaRef;
  /** Schema the processor writes. */
  readonly output: SchemaRef;
}

/** Writes records to a topic, encoded with the topic's subject. */
export interface SinkDecl {
  readonly topic: string;
  readonly parents: readonly string[];
}

/**
 * The stream graph as data (STYLE.md, "Topology is data"). Topic and subject names are
 * relative to a prefix (`zenthos` by default): `telemetry.raw` is `zenthos.telemetry.raw`, and
 * its subject `telemetry.raw-value` is `zenthos.telemetry.raw-value` (TopicNameStrategy).
 */
export interface Topology {
  readonly topics: Readonly<Record<string, TopicDecl>>;
  /** Subject (relative) → schema. Every topic except the dead-letter topic needs one. */
  readonly subjects: Readonly<Record<string, SchemaRef>>;
  readonly sources: Readonly<Record<string, SourceDecl>>;
  readonly processors: Readonly<Record<string, ProcessorDecl>>;
  readonly sinks: Readonly<Record<string, SinkDecl>>;
  /** Topic that receives records no processor can handle (value = original bytes). */
  readonly deadLetterTopic: string;
}

/** What is wrong with a topology; `code` names the rule, `node` the culprit. */
export interface TopologyProblem {
  readonly code:
    | 'duplicate-name'
    | 'no-parents'
    | 'unknown-parent'
    | 'cycle'
    | 'missing-topic'
    | 'missing-subject'
    | 'unknown-schema'
    | 'incompatible-schema'
    | 'not-linear';
  readonly node: string;
  readonly message: string;
}

/** A topic's full name under a prefix. */
export const fullTopic = (prefix: string, topic: string): string => `${prefix}.${topic}`;

/** The subject of a relative topic (TopicNameStrategy). */
export const subjectOf = (topic: string): string => `${topic}-value`;

/** The Avro schema a reference stands for, or undefined when it names no contract. */
export function resolveSchema(ref: SchemaRef): AvroSchema | undefined {
  if (typeof ref !== 'string') return ref.schema;
  const contract = (contracts as Record<string, { schema: object } | undefined>)[ref];
  return contract?.schema;
}

const schemaName = (ref: SchemaRef): string => (typeof ref === 'string' ? ref : 'inline schema');

type NodeKind = 'source' | 'processor' | 'sink';

/** Every node with its kind and parents. */
export function nodesOf(t: Topology): Map<string, { kind: NodeKind; parents: readonly string[] }> {
  const nodes = new Map<string, { kind: NodeKind; parents: readonly string[] }>();
  for (const name of Object.keys(t.sources)) nodes.set(name, { kind: 'source', parents: [] });
  for (const [name, p] of Object.entries(t.processors)) if (!nodes.has(name)) nodes.set(name, { kind: 'processor', parents: p.parents });
  for (const [name, s] of Object.entries(t.sinks)) if (!nodes.has(name)) nodes.set(name, { kind: 'sink', parents: s.parents });
  return nodes;
}

/** Children of every node. */
export function childrenOf(t: Topology): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const [name, node] of nodesOf(t)) {
    for (const parent of node.parents) children.set(parent, [...(children.get(parent) ?? []), name]);
  }
  return children;
}

/** Finds cycles (depth-first search with colours); each is reported once as `a → b → a`. */
function findCycles(t: Topology): string[][] {
  const nodes = nodesOf(t);
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    // Edges run parent → child; walking parents finds the same cycles, reversed.
    for (const parent of nodes.get(name)?.parents ?? []) {
      if (!nodes.has(parent)) continue;
      const s = state.get(parent);
      if (s === 'visiting') cycles.push([...stack.slice(stack.indexOf(parent)), parent].reverse());
      else if (s === undefined) visit(parent);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of nodes.keys()) if (!state.has(name)) visit(name);
  return cycles;
}

/** The schema flowing out of a node, if it can be known. */
function outputSchemaOf(t: Topology, name: string): SchemaRef | undefined {
  const source = t.sources[name];
  if (source) return t.subjects[subjectOf(source.topic)];
  return t.processors[name]?.output;
}

/** Why `reader` cannot read data written with `writer` (Avro schema resolution), or undefined. */
function incompatibility(writer: AvroSchema, reader: AvroSchema): string | undefined {
  try {
    parseSchema(reader).createResolver(parseSchema(writer));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Checks a topology and names every problem: duplicate names, nodes without or with unknown
 * parents, cycles, topics or subjects that are not declared, schemas that are not contracts,
 * and connected nodes whose schemas do not resolve (the child cannot read what the parent
 * writes, Avro 1.11 "Schema Resolution").
 */
export function checkTopology(t: Topology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const add = (code: TopologyProblem['code'], node: string, message: string): void => void problems.push({ code, node, message });
  const names = [...Object.keys(t.sources), ...Object.keys(t.processors), ...Object.keys(t.sinks)];
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i))) {
    add('duplicate-name', name, `node name "${name}" is used more than once`);
  }
  const nodes = nodesOf(t);
  for (const [name, node] of nodes) {
    if (node.kind !== 'source' && node.parents.length === 0) add('no-parents', name, `${node.kind} "${name}" has no parents`);
    for (const parent of node.parents) {
      if (!nodes.has(parent)) add('unknown-parent', name, `${node.kind} "${name}" has unknown parent "${parent}"`);
      else if (nodes.get(parent)?.kind === 'sink')
        add('unknown-parent', name, `${node.kind} "${name}" has parent "${parent}", which is a sink`);
    }
  }
  for (const cycle of findCycles(t)) add('cycle', cycle[0] as string, `nodes form a cycle: ${cycle.join(' → ')}`);

  const topicUse: Array<[string, string]> = [
    ...Object.entries(t.sources).map(([n, s]): [string, string] => [n, s.topic]),
    ...Object.entries(t.sinks).map(([n, s]): [string, string] => [n, s.topic]),
  ];
  for (const [node, topic] of topicUse) {
    if (!t.topics[topic]) add('missing-topic', node, `"${node}" uses topic "${topic}", which is not declared in topics`);
    if (!t.subjects[subjectOf(topic)])
      add('missing-subject', node, `"${node}" uses topic "${topic}", whose subject "${subjectOf(topic)}" is not declared`);
  }
  if (!t.topics[t.deadLetterTopic])
    add('missing-topic', 'dead letters', `dead-letter topic "${t.deadLetterTopic}" is not declared in topics`);
  for (const [subject, ref] of Object.entries(t.subjects)) {
    if (resolveSchema(ref) === undefined)
      add('unknown-schema', subject, `subject "${subject}" refers to "${schemaName(ref)}", which is no contract in schemas/avro`);
  }
  for (const [name, p] of Object.entries(t.processors)) {
    for (const ref of [p.input, p.output]) {
      if (resolveSchema(ref) === undefined)
        add('unknown-schema', name, `processor "${name}" refers to "${schemaName(ref)}", which is no contract in schemas/avro`);
    }
  }

  // Schema compatibility along every edge: parent's output (writer) → child's input (reader);
  // for a sink the reader is the sink topic's subject.
  for (const [name, node] of nodes) {
    if (node.kind === 'source') continue;
    const readerRef = node.kind === 'processor' ? t.processors[name]?.input : t.subjects[subjectOf(t.sinks[name]?.topic ?? '')];
    const reader = readerRef && resolveSchema(readerRef);
    if (!reader) continue;
    for (const parent of node.parents) {
      const writerRef = outputSchemaOf(t, parent);
      const writer = writerRef && resolveSchema(writerRef);
      if (!writer) continue;
      const why = incompatibility(writer, reader);
      if (why) {
        add(
          'incompatible-schema',
          name,
          `"${name}" reads ${schemaName(readerRef)} but its parent "${parent}" writes ${schemaName(writerRef)}, which it cannot read: ${why}`,
        );
      }
    }
  }
  return problems;
}

/** Throws one ZEN_TOPOLOGY_INVALID naming every problem. */
export function assertValidTopology(t: Topology): void {
  const problems = checkTopology(t);
  if (problems.length > 0) {
    throw new ZenthosError(
      'ZEN_TOPOLOGY_INVALID',
      `topology has ${problems.length} problem(s): ${problems.map((p) => p.message).join('; ')}`,
    );
  }
}

/** What the runtime executes for one source: a chain of processors from one topic to sinks. */
export interface PipelinePlan {
  readonly name: string;
  readonly sourceTopic: string;
  readonly sourceSubject: string;
  readonly steps: ReadonlyArray<{ readonly name: string; readonly decl: ProcessorDecl }>;
  readonly sinkTopics: readonly string[];
  readonly kind: RecordKind;
}

/**
 * The pipeline that starts at source `name`. The runtime runs processors one after another
 * per record, so the chain below a source must be linear (fan-out only into sinks).
 */
export function planPipeline(t: Topology, name: string): PipelinePlan {
  assertValidTopology(t);
  const source = t.sources[name];
  if (!source) {
    throw new ZenthosError('ZEN_TOPOLOGY_INVALID', `no source "${name}"; sources: ${Object.keys(t.sources).join(', ')}`);
  }
  const children = childrenOf(t);
  const steps: Array<{ name: string; decl: ProcessorDecl }> = [];
  let current = name;
  for (;;) {
    const next = (children.get(current) ?? []).filter((c) => t.processors[c]);
    if (next.length > 1) {
      throw new ZenthosError(
        'ZEN_TOPOLOGY_INVALID',
        `"${current}" feeds several processors (${next.join(', ')}); a pipeline must be a chain`,
      );
    }
    if (next.length === 0) break;
    current = next[0] as string;
    steps.push({ name: current, decl: t.processors[current] as ProcessorDecl });
  }
  const sinkTopics = (children.get(current) ?? []).filter((c) => t.sinks[c]).map((c) => (t.sinks[c] as SinkDecl).topic);
  if (steps.length === 0 || sinkTopics.length === 0) {
    throw new ZenthosError('ZEN_TOPOLOGY_INVALID', `source "${name}" does not lead through processors to a sink`);
  }
  return {
    name,
    sourceTopic: source.topic,
    sourceSubject: subjectOf(source.topic),
    steps,
    sinkTopics,
    kind: steps[0]?.decl.kind ?? 'telemetry',
  };
}
