import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { generateFiles, readContractSources, subjectOfKey, topicOfKey } from './codegen';

const pkgDir = join(__dirname, '..', '..');

describe('generated types', () => {
  it('match the .avsc files (run `npm run generate -w @zenthos/schemas` after editing a schema)', () => {
    // The generator's --check mode regenerates in memory, formats like the committed files and
    // exits non-zero on any difference; running it here keeps one definition of "up to date".
    const run = (): string =>
      execFileSync(
        process.execPath,
        ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', join(pkgDir, 'scripts', 'generate-types.mjs'), '--check'],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    expect(run).not.toThrow();
  });

  it('maps records, enums, nullable unions, maps and arrays', () => {
    const files = generateFiles([
      {
        key: 'demo-raw',
        schema: {
          type: 'record',
          name: 'Demo',
          namespace: 'io.zenthos',
          fields: [
            { name: 'a', type: 'long', doc: 'A long.' },
            { name: 'b', type: ['null', 'string'], default: null },
            { name: 'c', type: { type: 'enum', name: 'Colour', symbols: ['red', 'green'] } },
            { name: 'd', type: { type: 'map', values: 'double' } },
            { name: 'e', type: { type: 'array', items: 'io.zenthos.Colour' } },
            { name: 'f', type: 'bytes' },
          ],
        },
      },
    ]);
    const types = files['types.ts']!;
    expect(types).toContain('export interface Demo {');
    expect(types).toContain('/** A long. */');
    expect(types).toContain('a: number;');
    expect(types).toContain('b: null | string;');
    expect(types).toContain("export type Colour = 'red' | 'green';");
    expect(types).toContain('d: Record<string, number>;');
    expect(types).toContain('e: Array<Colour>;');
    expect(types).toContain('f: Buffer;');
    expect(files['contracts.ts']).toContain("subject: 'zenthos.demo.raw-value'");
  });

  it('refuses two different definitions of one name', () => {
    const a = { type: 'enum', name: 'X', symbols: ['a'] };
    const b = { type: 'enum', name: 'X', symbols: ['b'] };
    expect(() =>
      generateFiles([
        { key: 'one-raw', schema: { type: 'record', name: 'One', fields: [{ name: 'x', type: a }] } },
        { key: 'two-raw', schema: { type: 'record', name: 'Two', fields: [{ name: 'x', type: b }] } },
      ]),
    ).toThrow(/defined twice/);
  });

  it('names topics and subjects after the file (TopicNameStrategy)', () => {
    expect(topicOfKey('telemetry-raw')).toBe('zenthos.telemetry.raw');
    expect(subjectOfKey('status-enriched')).toBe('zenthos.status.enriched-value');
  });
});

describe('contracts in schemas/avro', () => {
  const sources = readContractSources(join(pkgDir, 'avro'));

  it('has raw and enriched records for telemetry, status, inference and logs, and the OTA notifications', () => {
    expect(sources.map((s) => s.key)).toEqual([
      'inference-enriched',
      'inference-raw',
      'logs-enriched',
      'logs-raw',
      'ota-notifications',
      'status-enriched',
      'status-raw',
      'telemetry-enriched',
      'telemetry-raw',
    ]);
  });

  it('puts every record in io.zenthos with a doc on every field', () => {
    const missing: string[] = [];
    const walk = (schema: unknown, where: string): void => {
      if (Array.isArray(schema)) return schema.forEach((s, i) => walk(s, `${where}[${i}]`));
      if (typeof schema !== 'object' || schema === null) return;
      const s = schema as {
        type?: unknown;
        fields?: Array<{ name: string; doc?: string; type: unknown }>;
        items?: unknown;
        values?: unknown;
      };
      for (const f of s.fields ?? []) {
        if (!f.doc) missing.push(`${where}.${f.name}`);
        walk(f.type, `${where}.${f.name}`);
      }
      walk(s.items, where);
      walk(s.values, where);
    };
    for (const s of sources) {
      expect((s.schema as { namespace?: string }).namespace).toBe('io.zenthos');
      walk(s.schema, s.key);
    }
    expect(missing).toEqual([]);
  });
});
