import { childrenOf, fullTopic, subjectOf, type SchemaRef, type Topology } from './topology';

const ref = (r: SchemaRef | undefined): string => (r === undefined ? '?' : typeof r === 'string' ? r : 'inline schema');

const topicLabel = (t: Topology, prefix: string, topic: string): string => {
  const decl = t.topics[topic];
  const parts = decl
    ? [
        `${decl.partitions} partitions`,
        `rf ${decl.replicationFactor}`,
        `retention ${decl.retentionMs < 0 ? 'forever' : `${decl.retentionMs / 3_600_000} h`}`,
        decl.cleanupPolicy,
      ]
    : ['not declared'];
  return `${fullTopic(prefix, topic)} (${parts.join(', ')}; subject ${fullTopic(prefix, subjectOf(topic))})`;
};

/** A readable tree: each source with its processors and sinks below it, then the dead-letter topic. */
export function describeTree(t: Topology, prefix: string): string {
  const children = childrenOf(t);
  const lines: string[] = [];
  const label = (name: string): string => {
    const source = t.sources[name];
    if (source) return `${name}  ← source ${topicLabel(t, prefix, source.topic)}`;
    const p = t.processors[name];
    if (p) return `${name}  [${p.use}] ${ref(p.input)} → ${ref(p.output)}`;
    const s = t.sinks[name];
    return s ? `${name}  → sink ${topicLabel(t, prefix, s.topic)}` : name;
  };
  const walk = (name: string, indent: string, last: boolean, seen: Set<string>): void => {
    lines.push(`${indent}${last ? '└─ ' : '├─ '}${label(name)}`);
    if (seen.has(name)) return; // a cycle: `topology check` names it
    const kids = children.get(name) ?? [];
    kids.forEach((kid, i) => walk(kid, `${indent}${last ? '   ' : '│  '}`, i === kids.length - 1, new Set([...seen, name])));
  };
  for (const source of Object.keys(t.sources)) {
    lines.push(label(source));
    const kids = children.get(source) ?? [];
    kids.forEach((kid, i) => walk(kid, '', i === kids.length - 1, new Set([source])));
  }
  lines.push(`dead letters of every processor → ${topicLabel(t, prefix, t.deadLetterTopic)}`);
  return `${lines.join('\n')}\n`;
}

/** The topology as a Mermaid flowchart (paste into any Mermaid viewer). */
export function describeMermaid(t: Topology, prefix: string): string {
  const id = (name: string): string => name.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['flowchart LR'];
  for (const [name, s] of Object.entries(t.sources)) lines.push(`  ${id(name)}[("${fullTopic(prefix, s.topic)}")]`);
  for (const [name, p] of Object.entries(t.processors)) {
    lines.push(`  ${id(name)}["${name}<br/>${p.use}"]`);
    for (const parent of p.parents) lines.push(`  ${id(parent)} --> ${id(name)}`);
    lines.push(`  ${id(name)} -.-> dlq`);
  }
  for (const [name, s] of Object.entries(t.sinks)) {
    lines.push(`  ${id(name)}[("${fullTopic(prefix, s.topic)}")]`);
    for (const parent of s.parents) lines.push(`  ${id(parent)} --> ${id(name)}`);
  }
  lines.push(`  dlq[("${fullTopic(prefix, t.deadLetterTopic)}")]`);
  return `${lines.join('\n')}\n`;
}

/** The topology with full topic and subject names, as JSON for tools. */
export function describeJson(t: Topology, prefix: string): unknown {
  return {
    prefix,
    topics: Object.fromEntries(Object.entries(t.topics).map(([k, v]) => [fullTopic(prefix, k), v])),
    subjects: Object.fromEntries(Object.entries(t.subjects).map(([k, v]) => [fullTopic(prefix, k), ref(v)])),
    sources: Object.fromEntries(Object.entries(t.sources).map(([k, v]) => [k, { topic: fullTopic(prefix, v.topic) }])),
    processors: Object.fromEntries(Object.entries(t.processors).map(([k, v]) => [k, { ...v, input: ref(v.input), output: ref(v.output) }])),
    sinks: Object.fromEntries(Object.entries(t.sinks).map(([k, v]) => [k, { ...v, topic: fullTopic(prefix, v.topic) }])),
    deadLetterTopic: fullTopic(prefix, t.deadLetterTopic),
  };
}
