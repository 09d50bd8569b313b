import { schemaText, type SchemaRegistryClient } from '@zenthos/schemas';
import { fullTopic, resolveSchema, type Topology, type TopologyProblem } from '../domain/topology';

/**
 * Compares the topology's subjects with a running schema registry: a subject that is not
 * registered, or whose declared schema the registry would refuse under the subject's
 * compatibility level, is a problem.
 */
export async function checkSubjects(registry: SchemaRegistryClient, topology: Topology, prefix: string): Promise<TopologyProblem[]> {
  const registered = new Set(await registry.listSubjects());
  const problems: TopologyProblem[] = [];
  for (const [subject, ref] of Object.entries(topology.subjects)) {
    const name = fullTopic(prefix, subject);
    const schema = resolveSchema(ref);
    if (!schema) continue; // reported by checkTopology
    if (!registered.has(name)) {
      problems.push({
        code: 'missing-subject',
        node: name,
        message: `subject "${name}" is not registered (zenthos topology apply --register-subjects)`,
      });
      continue;
    }
    const result = await registry.testCompatibility(name, schemaText(schema));
    if (!result.isCompatible) {
      problems.push({
        code: 'incompatible-schema',
        node: name,
        message: `the declared schema of "${name}" is incompatible with the registered one: ${result.messages.join('; ') || 'no reason given'}`,
      });
    }
  }
  return problems;
}

/** Registers every subject's declared schema (the same schema again is a no-op); returns subject → id. */
export async function registerSubjects(
  registry: SchemaRegistryClient,
  topology: Topology,
  prefix: string,
): Promise<Record<string, number>> {
  const ids: Record<string, number> = {};
  for (const [subject, ref] of Object.entries(topology.subjects)) {
    const schema = resolveSchema(ref);
    if (schema) ids[fullTopic(prefix, subject)] = await registry.register(fullTopic(prefix, subject), schemaText(schema));
  }
  return ids;
}
