import { type ZenthosError } from '@zenthos/core';
import { parseMigrations, pendingMigrations } from './migrations';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ZenthosError).code;
  }
  return 'none';
};

describe('parseMigrations', () => {
  it('orders files by version and checksums them', () => {
    const ms = parseMigrations({
      '0002_b.sql': 'select 2',
      '0001_a.sql': 'select 1',
    });
    expect(ms.map((m) => [m.version, m.name])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
    expect(ms[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(ms[0]?.checksum).not.toBe(ms[1]?.checksum);
  });

  it.each([['1_a.sql'], ['0001-a.sql'], ['0001_A.sql'], ['0001_a.txt']])('refuses the file name %s', (name) => {
    expect(codeOf(() => parseMigrations({ [name]: '' }))).toBe('ZEN_DB_MIGRATION_FAILED');
  });

  it('refuses two files with one version', () => {
    expect(codeOf(() => parseMigrations({ '0001_a.sql': '', '0001_b.sql': '' }))).toBe('ZEN_DB_MIGRATION_FAILED');
  });
});

describe('pendingMigrations', () => {
  const files = parseMigrations({
    '0001_a.sql': 'select 1',
    '0002_b.sql': 'select 2',
    '0003_c.sql': 'select 3',
  });
  const applied = (n: number) => files.slice(0, n).map(({ version, name, checksum }) => ({ version, name, checksum }));

  it('returns what is not applied yet, in order', () => {
    expect(pendingMigrations(files, []).map((m) => m.version)).toEqual([1, 2, 3]);
    expect(pendingMigrations(files, applied(2)).map((m) => m.version)).toEqual([3]);
    expect(pendingMigrations(files, applied(3))).toEqual([]);
  });

  it('refuses an applied migration whose file was edited', () => {
    const edited = [{ ...applied(1)[0]!, checksum: 'x'.repeat(64) }];
    expect(codeOf(() => pendingMigrations(files, edited))).toBe('ZEN_DB_MIGRATION_FAILED');
  });

  it('refuses an applied migration without a file', () => {
    expect(codeOf(() => pendingMigrations(files, [{ version: 9, name: 'gone', checksum: '' }]))).toBe('ZEN_DB_MIGRATION_FAILED');
  });
});
