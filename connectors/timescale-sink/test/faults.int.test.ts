import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createTcpProxy, startRegistryStub, type RegistryStub, type TcpProxy } from '@zenthos/testing';
import { startSink, type RunningSink } from '../src/main';
import {
  createTelemetryProducer,
  createTopics,
  randomPrefix,
  sinkEnv,
  stack,
  telemetryWithDuplicates,
  waitFor,
  type TelemetryProducer,
} from './support';

const packageDir = join(__dirname, '..');
const repoRoot = join(packageDir, '..', '..');

const countRows = async (db: TemporaryDatabase): Promise<{ rows: number; distinct: number }> => {
  const r = await db.pool.query<{ rows: string; distinct: string }>(
    'SELECT count(*) AS rows, count(DISTINCT message_id) AS distinct FROM telemetry_raw',
  );
  return { rows: Number(r.rows[0]?.rows), distinct: Number(r.rows[0]?.distinct) };
};

describe('timescale sink under faults', () => {
  let registry: RegistryStub;
  let producer: TelemetryProducer;

  beforeAll(async () => {
    registry = await startRegistryStub();
    producer = await createTelemetryProducer(registry.url);
    // The child process runs the built sink; `tsc -b` is incremental (a no-op after `npm run build`).
    execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', packageDir], { stdio: 'inherit' });
  }, 180_000);

  afterAll(async () => {
    await producer?.close();
    await registry?.close();
  });

  it('is killed with SIGKILL mid-stream, restarts, and ends with exactly the unique records', async () => {
    const prefix = randomPrefix();
    const db = await createTemporaryDatabase(stack.DATABASE_URL);
    const topics = await createTopics(prefix);
    let child: ChildProcess | undefined;
    const start = (): ChildProcess =>
      spawn(process.execPath, [join(packageDir, 'dist', 'src', 'main.js')], {
        env: { ...process.env, ...sinkEnv(db.url, prefix, registry.url, { SINK_BATCH_SIZE: '500', SINK_LINGER_MS: '20' }) },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    try {
      const values = telemetryWithDuplicates({ total: 30_000, unique: 27_000 });
      child = start();
      await producer.send(prefix, values.slice(0, 15_000));
      const before = await waitFor(
        () => countRows(db),
        (c) => c.rows >= 2_000,
        60_000,
        100,
      );
      expect(before.rows).toBeGreaterThan(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
      const atKill = await countRows(db);
      expect(atKill.rows).toBeLessThan(27_000);

      await producer.send(prefix, values.slice(15_000));
      child = start();
      const after = await waitFor(
        () => countRows(db),
        (c) => c.rows >= 27_000,
        120_000,
        250,
      );
      expect(after).toEqual({ rows: 27_000, distinct: 27_000 });
      // Nothing more arrives later (a re-delivered batch is absorbed by the unique key).
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await countRows(db)).toEqual({ rows: 27_000, distinct: 27_000 });
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child!.once('exit', resolve));
      }
      await topics.remove();
      await db.drop();
    }
  }, 240_000);

  it('waits for Postgres at start-up, pauses while it is unreachable mid-stream, reports not ready, and resumes without loss or duplicates', async () => {
    const prefix = randomPrefix();
    const db = await createTemporaryDatabase(stack.DATABASE_URL);
    const topics = await createTopics(prefix);
    const direct = new URL(stack.DATABASE_URL);
    // A proxy in front of the shared Postgres: cutting it is what a Postgres restart looks like
    // to the sink (every connection dropped, new ones refused), without touching the server.
    const proxy: TcpProxy = await createTcpProxy(Number(direct.port || 5432), direct.hostname);
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    let sink: RunningSink | undefined;
    try {
      const values = telemetryWithDuplicates({ total: 20_000, unique: 18_000 });
      // Postgres is away when the sink starts: it waits instead of exiting.
      await proxy.cut();
      const starting = startSink(sinkEnv(viaProxy.toString(), prefix, registry.url, { SINK_BATCH_SIZE: '500', SINK_LINGER_MS: '20' }));
      await new Promise((r) => setTimeout(r, 1_500));
      await proxy.restore();
      sink = await starting;
      await producer.send(prefix, values.slice(0, 10_000));
      await waitFor(
        () => countRows(db),
        (c) => c.rows >= 1_000,
        60_000,
        100,
      );

      await proxy.cut();
      await producer.send(prefix, values.slice(10_000));
      const ready = async (): Promise<number> => (await fetch(`http://127.0.0.1:${sink!.opsPort}/ready`)).status;
      expect(await waitFor(ready, (s) => s === 503, 30_000, 200)).toBe(503);
      const during = await countRows(db);
      await new Promise((r) => setTimeout(r, 2_000));
      // Paused: nothing is written while the database is away.
      expect(await countRows(db)).toEqual(during);

      await proxy.restore();
      const after = await waitFor(
        () => countRows(db),
        (c) => c.rows >= 18_000,
        120_000,
        250,
      );
      expect(after).toEqual({ rows: 18_000, distinct: 18_000 });
      expect(await waitFor(ready, (s) => s === 200, 30_000, 200)).toBe(200);
    } finally {
      await sink?.close();
      await proxy.close();
      await topics.remove();
      await db.drop();
    }
  }, 240_000);
});
