import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TelemetryEnriched } from '@zenthos/schemas';
import {
  createStreamsTestEnv,
  endOffsetSum,
  freePort,
  makeWorkload,
  produceRaw,
  readCommitted,
  waitFor,
  type StreamsTestEnv,
} from './support';

jest.setTimeout(300_000);

const cliBin = join(__dirname, '../../cli/bin/zenthos.js');

interface Child {
  readonly name: string;
  readonly port: number;
  readonly process: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

describe('exactly once across a crash and a second instance', () => {
  let t: StreamsTestEnv;
  const children: Child[] = [];
  beforeAll(async () => {
    t = await createStreamsTestEnv();
  });
  afterAll(async () => {
    for (const c of children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await t?.close();
  });

  // `zenthos run processor` as operators run it: a child process of its own.
  const startChild = async (name: string, instanceId: string): Promise<Child> => {
    const port = await freePort();
    const child = spawn(process.execPath, [cliBin, 'run', 'processor', '--name', 'telemetry'], {
      env: {
        ...process.env,
        ...t.processorEnv,
        PROCESSOR_INSTANCE_ID: instanceId,
        PROCESSOR_OPS_PORT: String(port),
        PROCESSOR_BATCH_MAX: '50',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
    child.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const c = { name, port, process: child, exited, output: () => output };
    children.push(c);
    await waitFor(
      `${name} to be ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited early:\n${output}`);
        return (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status === 200;
      },
      60_000,
    );
    return c;
  };
  const recordsIn = async (c: Child): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${c.port}/metrics`)).text();
    // Records that reached the first processor, whatever it decided.
    return text
      .split('\n')
      .filter((l) => l.startsWith('zenthos_streams_records_processed_total{') && l.includes('processor="telemetry-validate"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  it('writes every unique valid record exactly once although a processor is killed with SIGKILL mid-stream', async () => {
    const workload = makeWorkload(t.devices, 4_000, { duplicateRate: 0.05, invalidRate: 0 });
    const half = workload.inputs.length / 2;
    await produceRaw(t, workload.inputs.slice(0, half));

    const first = await startChild('a', 'a');
    // Let it get going: several transactions committed, one most likely open.
    await waitFor(
      'the first processor to commit output',
      async () => (await endOffsetSum(t.admin, t.topic('telemetry.enriched'))) > 500,
      120_000,
    );
    first.process.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The same instance comes back (its transactional.id fences the dead one's open
    // transaction) and a second instance joins the group while records keep coming.
    const restarted = await startChild('a again', 'a');
    const second = await startChild('b', 'b');
    await produceRaw(t, workload.inputs.slice(half));

    const enriched = await readCommitted(t.topic('telemetry.enriched'), workload.uniqueValid.size, { timeoutMs: 180_000, idleMs: 5_000 });
    const ids = await Promise.all(enriched.map(async (r) => (await t.serde.decode<TelemetryEnriched>(r.value as Buffer)).value.message_id));
    const seen = new Map<string, number>();
    for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    const doubled = [...seen].filter(([, n]) => n > 1);
    const missing = [...workload.uniqueValid].filter((id) => !seen.has(id));
    expect({ doubled: doubled.length, missing: missing.length, total: ids.length }).toEqual({
      doubled: 0,
      missing: 0,
      total: workload.uniqueValid.size,
    });

    // Both instances did part of the work: the group shares the partitions.
    expect(await recordsIn(restarted)).toBeGreaterThan(0);
    expect(await recordsIn(second)).toBeGreaterThan(0);

    // SIGTERM: each finishes its batch, commits, leaves the group and exits cleanly.
    restarted.process.kill('SIGTERM');
    second.process.kill('SIGTERM');
    expect(await restarted.exited).toEqual({ code: 0, signal: null });
    expect(await second.exited).toEqual({ code: 0, signal: null });
  });
});
