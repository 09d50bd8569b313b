import { parseSchema } from './avro';
import { checkCompatibility, checkReadable } from './compatibility';
import { evolutionCases, record } from '../../test/evolution-cases';

describe('checkCompatibility', () => {
  it.each(evolutionCases)('$name under $level → compatible=$compatible', ({ before, after, level, compatible }) => {
    const messages = checkCompatibility(level, parseSchema(after), [{ version: 1, type: parseSchema(before) }]);
    expect(messages.length === 0).toBe(compatible);
  });

  it('names the field and the rule', () => {
    const { before, after } = evolutionCases.find((c) => c.name === 'add a field without a default')!;
    const [message] = checkCompatibility('BACKWARD', parseSchema(after), [{ version: 3, type: parseSchema(before) }]);
    expect(message).toContain('READER_FIELD_MISSING_DEFAULT_VALUE');
    expect(message).toContain("'site'");
    expect(message).toContain('version 3');
  });

  it('checks only the latest version unless transitive', () => {
    const id = { name: 'id', type: 'string' };
    const v1 = record([id, { name: 'a', type: 'int' }]);
    const v2 = record([id, { name: 'a', type: 'int', default: 0 }]);
    const v3 = record([id, { name: 'a', type: 'int', default: 0 }, { name: 'b', type: 'int', default: 1 }]);
    // v3 removes nothing; to break v1 under FORWARD_TRANSITIVE, drop a's default-less origin field.
    const v4 = record([id, { name: 'b', type: 'int', default: 1 }]);
    const existing = [v1, v2, v3].map((s, i) => ({ version: i + 1, type: parseSchema(s) }));
    expect(checkCompatibility('FORWARD', parseSchema(v4), existing)).toEqual([]);
    expect(checkCompatibility('FORWARD_TRANSITIVE', parseSchema(v4), existing)).toHaveLength(1);
    expect(checkCompatibility('FULL_TRANSITIVE', parseSchema(v4), existing)[0]).toContain('version 1 reading the new schema');
  });
});

describe('checkReadable', () => {
  const rules = (reader: unknown, writer: unknown): string[] =>
    checkReadable(parseSchema(reader as object), parseSchema(writer as object)).map((i) => i.rule);

  it.each([
    ['int', 'int', []],
    ['long', 'int', []],
    ['double', 'long', []],
    ['float', 'int', []],
    ['int', 'long', ['TYPE_MISMATCH']],
    ['bytes', 'string', []],
    ['string', 'bytes', []],
    [['null', 'string'], 'string', []],
    ['string', ['null', 'string'], ['TYPE_MISMATCH']],
    [['null', 'long'], ['null', 'int'], []],
    [['null', 'string'], ['null', 'int'], ['MISSING_UNION_BRANCH']],
  ])('reader %j, writer %j → %j', (reader, writer, expectedRules) => {
    expect(rules(reader, writer)).toEqual(expectedRules);
  });

  it('matches enums by symbols, or by the reader default', () => {
    const w = { type: 'enum', name: 'S', symbols: ['a', 'b', 'c'] };
    expect(rules({ type: 'enum', name: 'S', symbols: ['a', 'b'] }, w)).toEqual(['MISSING_ENUM_SYMBOLS']);
    expect(rules({ type: 'enum', name: 'S', symbols: ['a', 'b'], default: 'a' }, w)).toEqual([]);
  });

  it('matches records and fixed by name or alias, and fixed by size', () => {
    const w = { type: 'record', name: 'old.Thing', fields: [] };
    expect(rules({ type: 'record', name: 'Other', fields: [] }, w)).toEqual(['NAME_MISMATCH']);
    expect(rules({ type: 'record', name: 'Other', aliases: ['old.Thing'], fields: [] }, w)).toEqual([]);
    expect(rules({ type: 'fixed', name: 'F', size: 4 }, { type: 'fixed', name: 'F', size: 8 })).toEqual(['FIXED_SIZE_MISMATCH']);
  });

  it('terminates on recursive schemas', () => {
    const list = { type: 'record', name: 'Node', fields: [{ name: 'next', type: ['null', 'Node'] }] };
    const list2 = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'next', type: ['null', 'Node'] },
        { name: 'v', type: 'int', default: 0 },
      ],
    };
    expect(rules(list2, list)).toEqual([]);
  });

  it('looks inside arrays and maps', () => {
    expect(rules({ type: 'map', values: 'int' }, { type: 'map', values: 'string' })).toEqual(['TYPE_MISMATCH']);
    expect(rules({ type: 'array', items: 'long' }, { type: 'array', items: 'int' })).toEqual([]);
  });
});
