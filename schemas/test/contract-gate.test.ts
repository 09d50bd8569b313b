import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkContracts } from '../src/cli';

// The contract gate of `npm test`: every schema of schemas/avro must stay compatible (BACKWARD,
// the registry default of DESIGN.md) with its earlier committed versions.
describe('contract gate', () => {
  it('every contract is compatible with its earlier versions in git', async () => {
    const verdicts = await checkContracts({ against: 'git', level: 'BACKWARD' });
    expect(verdicts).toHaveLength(9);
    expect(verdicts.filter((v) => v.problems.length > 0)).toEqual([]);
  });

  describe('on a scratch repository', () => {
    let repo: string;
    const avroDir = (): string => join(repo, 'avro');
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, stdio: 'ignore' });
    };
    const write = (fields: object[]): void =>
      writeFileSync(
        join(avroDir(), 'telemetry-raw.avsc'),
        JSON.stringify({ type: 'record', name: 'TelemetryRaw', namespace: 'io.zenthos', fields }),
      );

    beforeEach(() => {
      repo = mkdtempSync(join(tmpdir(), 'zenthos-schemas-'));
      mkdirSync(avroDir());
      git('init', '-q');
      write([{ name: 'a', type: 'int', doc: 'a' }]);
      git('add', '.');
      git('commit', '-qm', 'v1');
    });
    afterEach(() => rmSync(repo, { recursive: true, force: true }));

    it('fails on an incompatible working-copy change, naming the field and the rule', async () => {
      write([
        { name: 'a', type: 'int', doc: 'a' },
        { name: 'b', type: 'string', doc: 'b' },
      ]);
      const [verdict] = await checkContracts({ against: 'git', avroDir: avroDir() });
      expect(verdict!.subject).toBe('zenthos.telemetry.raw-value');
      expect(verdict!.problems.join('\n')).toMatch(/READER_FIELD_MISSING_DEFAULT_VALUE.*'b'/);
    });

    it('checks the last commit against its predecessors on a clean checkout', async () => {
      write([{ name: 'a', type: 'string', doc: 'a' }]);
      git('commit', '-qam', 'v2');
      const [verdict] = await checkContracts({ against: 'git', avroDir: avroDir() });
      expect(verdict!.problems.join('\n')).toContain('TYPE_MISMATCH');
      const [underNone] = await checkContracts({ against: 'git', avroDir: avroDir(), level: 'NONE' });
      expect(underNone!.problems).toEqual([]);
    });

    it('passes a compatible change', async () => {
      write([
        { name: 'a', type: 'long', doc: 'a' },
        { name: 'b', type: 'string', default: '', doc: 'b' },
      ]);
      const [verdict] = await checkContracts({ against: 'git', avroDir: avroDir() });
      expect(verdict!.problems).toEqual([]);
    });
  });
});
