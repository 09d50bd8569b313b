import type { Type } from 'avsc';
import type { CompatibilityLevel } from './registry-port';

/** Why a reader schema cannot read data written with a writer schema. */
export interface Incompatibility {
  /** Rule broken, named as in Avro's SchemaCompatibility (and Confluent's messages). */
  readonly rule:
    | 'NAME_MISMATCH'
    | 'FIXED_SIZE_MISMATCH'
    | 'MISSING_ENUM_SYMBOLS'
    | 'READER_FIELD_MISSING_DEFAULT_VALUE'
    | 'TYPE_MISMATCH'
    | 'MISSING_UNION_BRANCH';
  /** Where in the reader schema, e.g. `/fields/sensors/values`. */
  readonly path: string;
  /** What is wrong, naming the field or type. */
  readonly message: string;
}

// The parts of avsc's type objects the checker reads; avsc's public typings omit them.
interface AvscField {
  readonly name: string;
  readonly type: AvscType;
  readonly aliases: readonly string[];
  defaultValue(): unknown;
}
interface AvscType {
  readonly typeName: string;
  readonly name?: string;
  readonly aliases?: readonly string[];
  readonly fields?: readonly AvscField[];
  readonly symbols?: readonly string[];
  readonly default?: unknown;
  readonly size?: number;
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly types?: readonly AvscType[];
  readonly underlyingType?: AvscType;
}

// Avro 1.11 spec, "Schema Resolution": what a reader of type X accepts from a writer.
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['int'],
  long: ['int', 'long'],
  float: ['int', 'long', 'float'],
  double: ['int', 'long', 'float', 'double'],
  string: ['string', 'bytes'],
  bytes: ['bytes', 'string'],
};

const isUnion = (t: AvscType): boolean => t.typeName.startsWith('union');
const unqualified = (name: string | undefined): string => (name ?? '').slice((name ?? '').lastIndexOf('.') + 1);
const strip = (t: AvscType): AvscType => (t.typeName.startsWith('logical:') && t.underlyingType ? t.underlyingType : t);
const describe = (t: AvscType): string => (t.name ? `${t.typeName} ${t.name}` : t.typeName);

/**
 * Lists why `reader` cannot read what `writer` wrote, following Avro's schema-resolution
 * rules: records match by name or reader alias, reader fields match writer fields by name or
 * alias and need a default when the writer has none, int→long→float→double and string↔bytes
 * promote, enums need every writer symbol unless the reader has a default, and unions match
 * branch by branch. Empty when compatible.
 */
export function checkReadable(reader: Type, writer: Type): Incompatibility[] {
  const inProgress = new Set<string>();
  const ids = new WeakMap<AvscType, number>();
  let nextId = 0;
  const idOf = (t: AvscType): number => {
    let id = ids.get(t);
    if (id === undefined) ids.set(t, (id = nextId++));
    return id;
  };

  const visit = (r0: AvscType, w0: AvscType, path: string): Incompatibility[] => {
    const r = strip(r0);
    const w = strip(w0);
    if (isUnion(w)) {
      // Every branch the writer may have used must be readable.
      return (w.types ?? []).flatMap((branch) => visit(r, branch, path));
    }
    if (isUnion(r)) {
      const branches = r.types ?? [];
      if (branches.some((b) => visit(b, w, path).length === 0)) return [];
      return [{ rule: 'MISSING_UNION_BRANCH', path, message: `reader union at ${path || '/'} has no branch for writer ${describe(w)}` }];
    }
    const promotable = PROMOTIONS[r.typeName];
    if (promotable !== undefined) {
      return promotable.includes(w.typeName) ? [] : [mismatch(r, w, path)];
    }
    if (r.typeName !== w.typeName && !(isRecord(r) && isRecord(w))) return [mismatch(r, w, path)];
    switch (r.typeName) {
      case 'null':
      case 'boolean':
        return [];
      case 'array':
        return visit(r.itemsType!, w.itemsType!, `${path}/items`);
      case 'map':
        return visit(r.valuesType!, w.valuesType!, `${path}/values`);
      case 'fixed':
        if (!namesMatch(r, w)) return [nameMismatch(r, w, path)];
        return r.size === w.size
          ? []
          : [{ rule: 'FIXED_SIZE_MISMATCH', path, message: `fixed ${r.name} at ${path || '/'} has size ${r.size}, writer has ${w.size}` }];
      case 'enum': {
        if (!namesMatch(r, w)) return [nameMismatch(r, w, path)];
        if (r.default !== undefined) return [];
        const missing = (w.symbols ?? []).filter((s) => !(r.symbols ?? []).includes(s));
        return missing.length === 0
          ? []
          : [
              {
                rule: 'MISSING_ENUM_SYMBOLS',
                path,
                message: `enum ${r.name} at ${path || '/'} lacks writer symbols [${missing.join(', ')}] and has no default`,
              },
            ];
      }
      case 'record':
      case 'error': {
        if (!namesMatch(r, w)) return [nameMismatch(r, w, path)];
        // Recursive schemas: a pair already being checked is assumed to match (the fixpoint).
        const key = `${idOf(r)}:${idOf(w)}`;
        if (inProgress.has(key)) return [];
        inProgress.add(key);
        const out: Incompatibility[] = [];
        for (const rf of r.fields ?? []) {
          const names = [rf.name, ...(rf.aliases ?? [])];
          const wf = (w.fields ?? []).find((f) => names.includes(f.name));
          const fieldPath = `${path}/fields/${rf.name}`;
          if (wf !== undefined) out.push(...visit(rf.type, wf.type, fieldPath));
          else if (rf.defaultValue() === undefined) {
            out.push({
              rule: 'READER_FIELD_MISSING_DEFAULT_VALUE',
              path: fieldPath,
              message: `field '${rf.name}' of ${r.name} has no default value and the writer schema has no field '${rf.name}'${rf.aliases.length ? ` (nor aliases ${rf.aliases.join(', ')})` : ''}`,
            });
          }
        }
        inProgress.delete(key);
        return out;
      }
      default:
        return r.typeName === w.typeName ? [] : [mismatch(r, w, path)];
    }
  };

  return visit(reader as unknown as AvscType, writer as unknown as AvscType, '');
}

const isRecord = (t: AvscType): boolean => t.typeName === 'record' || t.typeName === 'error';

// Avro's SchemaCompatibility.schemaNameEquals: same unqualified name, or a reader alias names the writer.
const namesMatch = (r: AvscType, w: AvscType): boolean =>
  unqualified(r.name) === unqualified(w.name) || (r.aliases ?? []).some((a) => a === w.name || unqualified(a) === unqualified(w.name));

const nameMismatch = (r: AvscType, w: AvscType, path: string): Incompatibility => ({
  rule: 'NAME_MISMATCH',
  path,
  message: `${r.typeName} at ${path || '/'} is named ${r.name} in the reader and ${w.name} in the writer (no matching alias)`,
});

const mismatch = (r: AvscType, w: AvscType, path: string): Incompatibility => ({
  rule: 'TYPE_MISMATCH',
  path,
  message: `${path ? `field at ${path}` : 'schema'} is ${describe(r)} in the reader but ${describe(w)} in the writer`,
});

/**
 * Checks a candidate schema against existing versions (oldest first) at a compatibility level
 * (Confluent semantics): BACKWARD = the new schema reads the latest, FORWARD = the latest reads
 * the new one, FULL = both; the _TRANSITIVE forms check every existing version instead of the
 * latest. Returns messages naming the version, the direction, the field and the rule.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  candidate: Type,
  existing: ReadonlyArray<{ readonly version: number; readonly type: Type; readonly label?: string }>,
): string[] {
  if (level === 'NONE' || existing.length === 0) return [];
  const targets = level.endsWith('_TRANSITIVE') ? existing : existing.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const { version, type, label = `version ${version}` } of targets) {
    if (backward) {
      for (const i of checkReadable(candidate, type)) {
        messages.push(`${i.rule} at ${i.path || '/'}: ${i.message} (new schema reading ${label}, ${level})`);
      }
    }
    if (forward) {
      for (const i of checkReadable(type, candidate)) {
        messages.push(`${i.rule} at ${i.path || '/'}: ${i.message} (${label} reading the new schema, ${level})`);
      }
    }
  }
  return messages;
}
