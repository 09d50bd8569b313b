// TypeScript code generation from Avro schemas (.avsc JSON).
//
// This file is run both by tsc (as part of the package) and directly by Node's type stripping
// from scripts/generate-types.mjs before the build, so it imports nothing but Node built-ins
// and uses no TypeScript-only runtime syntax (no enums, no parameter properties).

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An Avro schema as parsed JSON. */
export type AvroJson = string | AvroJson[] | { [key: string]: unknown };

/** One contract: a `.avsc` file and where it is used. */
export interface ContractSource {
  /** File name without extension, `<kind>-<stage>`, e.g. `telemetry-raw`. */
  readonly key: string;
  /** The parsed schema. */
  readonly schema: AvroJson;
}

/** The generated files, by file name relative to `src/generated/`. */
export type GeneratedFiles = Record<string, string>;

const HEADER =
  '// Generated from schemas/avro/*.avsc by schemas/scripts/generate-types.mjs. Do not edit by hand:\n// edit the .avsc file and run `npm run generate -w @zenthos/schemas`.\n';

const PRIMITIVES: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  bytes: 'Buffer',
  string: 'string',
};

/** Reads every `.avsc` file of a folder, sorted by name so the output is stable. */
export function readContractSources(avroDir: string): ContractSource[] {
  return readdirSync(avroDir)
    .filter((f) => f.endsWith('.avsc'))
    .sort()
    .map((f) => ({ key: f.slice(0, -'.avsc'.length), schema: JSON.parse(readFileSync(join(avroDir, f), 'utf8')) as AvroJson }));
}

/** Kafka topic of a contract: `telemetry-raw` → `zenthos.telemetry.raw` (DESIGN.md, Kafka topics). */
export const topicOfKey = (key: string): string => `zenthos.${key.replace(/-/g, '.')}`;

/** Subject of a contract under TopicNameStrategy: `<topic>-value`. */
export const subjectOfKey = (key: string): string => `${topicOfKey(key)}-value`;

const shortName = (fullName: string): string => fullName.slice(fullName.lastIndexOf('.') + 1);

const tsDoc = (doc: unknown, indent: string): string => (typeof doc === 'string' ? `${indent}/** ${doc.replace(/\*\//g, '* /')} */\n` : '');

const tsString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Turns Avro schemas into TypeScript declarations: records become interfaces, enums become
 * string-literal unions, unions of `null` and one type become `T | null` (avsc's unwrapped
 * unions), maps become `Record<string, T>`, longs become `number` (avsc's default long type).
 */
class TypeEmitter {
  private readonly declarations = new Map<string, { text: string; source: string }>();
  private readonly order: string[] = [];

  declaration(): string {
    return this.order.map((n) => this.declarations.get(n)!.text).join('\n');
  }

  typeOf(schema: AvroJson, namespace: string): string {
    if (typeof schema === 'string') {
      const primitive = PRIMITIVES[schema];
      if (primitive !== undefined) return primitive;
      const name = shortName(schema);
      if (!this.declarations.has(name)) throw new Error(`unknown named type ${schema}`);
      return name;
    }
    if (Array.isArray(schema)) {
      return schema.map((branch) => this.typeOf(branch, namespace)).join(' | ');
    }
    const type = schema.type as AvroJson;
    switch (type) {
      case 'record':
      case 'error':
        return this.record(schema, namespace);
      case 'enum':
        return this.named(schema, (name) => {
          const symbols = (schema.symbols as string[]).map(tsString).join(' | ');
          return `${tsDoc(schema.doc, '')}export type ${name} = ${symbols};\n`;
        });
      case 'fixed':
        return this.named(schema, (name) => `${tsDoc(schema.doc, '')}export type ${name} = Buffer;\n`);
      case 'array':
        return `Array<${this.typeOf(schema.items as AvroJson, namespace)}>`;
      case 'map':
        return `Record<string, ${this.typeOf(schema.values as AvroJson, namespace)}>`;
      default:
        // A primitive written as an object, possibly with a logical type: avsc reads the
        // underlying type unless a logical type implementation is registered, which we don't.
        return this.typeOf(type, namespace);
    }
  }

  private named(schema: { [key: string]: unknown }, render: (name: string) => string): string {
    const name = shortName(String(schema.name));
    const source = JSON.stringify(schema);
    const existing = this.declarations.get(name);
    if (existing !== undefined) {
      if (existing.source !== source) throw new Error(`named type ${name} is defined twice with different definitions`);
      return name;
    }
    // Reserve the name first so recursive references resolve.
    this.declarations.set(name, { text: '', source });
    this.order.push(name);
    this.declarations.set(name, { text: render(name), source });
    return name;
  }

  private record(schema: { [key: string]: unknown }, namespace: string): string {
    const ns = typeof schema.namespace === 'string' ? schema.namespace : namespace;
    return this.named(schema, (name) => {
      const fields = (schema.fields as Array<{ name: string; type: AvroJson; doc?: string }>)
        .map((f) => `${tsDoc(f.doc, '  ')}  ${f.name}: ${this.typeOf(f.type, ns)};\n`)
        .join('');
      return `${tsDoc(schema.doc, '')}export interface ${name} {\n${fields}}\n`;
    });
  }
}

/** Renders `types.ts` (interfaces) and `contracts.ts` (schemas, topics, subjects) for the given contracts. */
export function generateFiles(sources: readonly ContractSource[]): GeneratedFiles {
  const emitter = new TypeEmitter();
  const rows = sources.map((s) => ({ ...s, typeName: emitter.typeOf(s.schema, '') }));

  const types = `${HEADER}/* eslint-disable */\n\n${emitter.declaration()}`;

  const contractEntries = rows
    .map(
      (r) =>
        `  ${tsString(r.key)}: {\n    key: ${tsString(r.key)},\n    topic: ${tsString(topicOfKey(r.key))},\n    subject: ${tsString(subjectOfKey(r.key))},\n    typeName: ${tsString(r.typeName)},\n    schema: ${JSON.stringify(r.schema)},\n  },\n`,
    )
    .join('');
  const valueEntries = rows.map((r) => `  ${tsString(subjectOfKey(r.key))}: types.${r.typeName};\n`).join('');
  const keyEntries = rows.map((r) => `  ${tsString(r.key)}: types.${r.typeName};\n`).join('');
  const contracts =
    `${HEADER}/* eslint-disable */\n` +
    `import type * as types from './types';\n\n` +
    `/** Every contract of schemas/avro by file name: its topic, its subject (TopicNameStrategy) and its schema. */\n` +
    `export const contracts = {\n${contractEntries}} as const;\n\n` +
    `/** A contract's file name, e.g. \`telemetry-raw\`. */\n` +
    `export type ContractKey = keyof typeof contracts;\n\n` +
    `/** The TypeScript type of a record of each contract, by file name. */\n` +
    `export interface ContractValueByKey {\n${keyEntries}}\n\n` +
    `/** The TypeScript type of a record of each contract, by subject. */\n` +
    `export interface ContractValueBySubject {\n${valueEntries}}\n`;

  return { 'types.ts': types, 'contracts.ts': contracts };
}
