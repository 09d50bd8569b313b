import { ZenthosError } from '@zenthos/core';
import { schemaText } from '../domain/avro';
import type { CompatibilityLevel, SchemaRegistryClient, SubjectVersion } from '../domain/registry-port';

/**
 * An in-memory registry for unit tests of code that encodes and decodes: global ids, same
 * schema = same id, versions per subject. It accepts every schema (no compatibility checks);
 * use the real registry where evolution rules matter.
 */
export function createMemoryRegistryClient(): SchemaRegistryClient {
  const schemasById = new Map<number, string>();
  const idByText = new Map<string, number>();
  const subjects = new Map<string, SubjectVersion[]>();
  const levels = new Map<string, CompatibilityLevel>();
  let globalLevel: CompatibilityLevel = 'BACKWARD';

  const versionsOf = (subject: string): SubjectVersion[] => {
    const list = subjects.get(subject);
    if (list === undefined || list.length === 0) throw new ZenthosError('ZEN_NOT_FOUND', `subject ${subject} not found`);
    return list;
  };

  return {
    async getSchemaById(id) {
      const text = schemasById.get(id);
      if (text === undefined) throw new ZenthosError('ZEN_SCHEMA_UNKNOWN_ID', `no schema with id ${id}`);
      return text;
    },
    async register(subject, schema) {
      const text = schemaText(schema);
      const list = subjects.get(subject) ?? [];
      const existing = list.find((v) => v.schema === text);
      if (existing) return existing.id;
      let id = idByText.get(text);
      if (id === undefined) {
        id = schemasById.size + 1;
        schemasById.set(id, text);
        idByText.set(text, id);
      }
      list.push({ subject, version: (list.at(-1)?.version ?? 0) + 1, id, schema: text });
      subjects.set(subject, list);
      return id;
    },
    async lookup(subject, schema) {
      const text = schemaText(schema);
      const found = versionsOf(subject).find((v) => v.schema === text);
      if (!found) throw new ZenthosError('ZEN_SCHEMA_NOT_REGISTERED', `schema not registered under ${subject}`);
      return found;
    },
    async getVersion(subject, version) {
      const list = versionsOf(subject);
      const found = version === 'latest' ? list.at(-1) : list.find((v) => v.version === version);
      if (!found) throw new ZenthosError('ZEN_NOT_FOUND', `version ${version} of ${subject} not found`);
      return found;
    },
    listSubjects: async () => [...subjects.keys()].sort(),
    listVersions: async (subject) => versionsOf(subject).map((v) => v.version),
    testCompatibility: async () => ({ isCompatible: true, messages: [] }),
    getCompatibility: async (subject) => (subject === undefined ? globalLevel : (levels.get(subject) ?? globalLevel)),
    async setCompatibility(level, subject) {
      if (subject === undefined) globalLevel = level;
      else levels.set(subject, level);
    },
    async deleteSubject(subject) {
      const list = versionsOf(subject);
      subjects.delete(subject);
      return list.map((v) => v.version);
    },
  };
}
