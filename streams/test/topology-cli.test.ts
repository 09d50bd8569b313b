import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerStreamsCommands } from '../src/cli';
import { zenthosTopology } from '../src/domain/zenthos-topology';
import type { Topology } from '../src/domain/topology';

// Runs `zenthos topology …` in-process and captures what it writes.
const run = async (args: string[]): Promise<{ stdout: string; stderr: string; error?: { code?: string; message: string } }> => {
  const program = new Command('zenthos').exitOverride();
  registerStreamsCommands(program);
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    await program.parseAsync(['node', 'zenthos', ...args]);
    return { stdout, stderr };
  } catch (e) {
    return { stdout, stderr, error: e as { code?: string; message: string } };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
};

describe('zenthos topology (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topology-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, t: Topology): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(t));
    return path;
  };

  it('accepts the built-in topology', async () => {
    const r = await run(['topology', 'check']);
    expect(r.error).toBeUndefined();
    expect(r.stdout).toBe('topology ok\n');
  });

  it('rejects a cycle and an unknown parent, naming both', async () => {
    const bad: Topology = {
      ...zenthosTopology,
      processors: {
        ...zenthosTopology.processors,
        'telemetry-validate': { ...zenthosTopology.processors['telemetry-validate']!, parents: ['telemetry', 'telemetry-dedupe'] },
        'status-enrich': { ...zenthosTopology.processors['status-enrich']!, parents: ['status-validte'] },
      },
    };
    const r = await run(['topology', 'check', '--file', file('bad.json', bad)]);
    expect(r.error).toMatchObject({ code: 'ZEN_TOPOLOGY_INVALID' });
    expect(r.stderr).toContain('cycle: nodes form a cycle: telemetry-validate → telemetry-enrich → telemetry-dedupe → telemetry-validate');
    expect(r.stderr).toContain('unknown-parent: processor "status-enrich" has unknown parent "status-validte"');
  });

  it('describes the topology as a tree, JSON and Mermaid', async () => {
    expect((await run(['topology', 'describe'])).stdout).toContain('└─ telemetry-validate  [validate]');
    expect(JSON.parse((await run(['topology', 'describe', '--json'])).stdout)).toMatchObject({ deadLetterTopic: 'zenthos.dlq' });
    expect((await run(['topology', 'describe', '--mermaid'])).stdout).toMatch(/^flowchart LR\n/);
  });
});
