import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStackConfig } from '../src/stack/config';
import { projectRoot } from '../src/project';
import { Stack } from '../src/stack/stack';
import { formatStatus } from '../src/stack/commands';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

// A second, private stack in a temporary project folder, on free ports, so this test starts and
// stops real services without touching the shared one.
describe('zenthos stack lifecycle', () => {
  let root: string;
  let stack: Stack;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'zenthos-stack-'));
    symlinkSync(join(projectRoot(), 'stack'), join(root, 'stack'));
    const env = {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      MOSQUITTO_URL: `mqtt://127.0.0.1:${await freePort()}`,
      STACK_START_TIMEOUT_S: '30',
    };
    stack = new Stack(root, loadStackConfig(env));
  });
  afterAll(async () => {
    await stack.down(['redis', 'mosquitto']);
    rmSync(root, { recursive: true, force: true });
  });

  it('reports services that are not running as down, without failing', async () => {
    const rows = await stack.status(['redis', 'mosquitto']);
    expect(rows.map((r) => [r.name, r.health, r.owner])).toEqual([
      ['redis', 'down', 'none'],
      ['mosquitto', 'down', 'none'],
    ]);
    expect(formatStatus(rows)).toMatch(/redis\s+down/);
  });

  it('starts services, and a second `up` is a no-op', async () => {
    const first = await stack.up(['redis', 'mosquitto']);
    expect(first.map((r) => r.action)).toEqual(['started', 'started']);
    const pids = (await stack.status(['redis', 'mosquitto'])).map((r) => r.pid);
    expect(pids.every((p) => typeof p === 'number')).toBe(true);

    const second = await stack.up(['redis', 'mosquitto']);
    expect(second.map((r) => r.action)).toEqual(['already-running', 'already-running']);
    const after = await stack.status(['redis', 'mosquitto']);
    expect(after.map((r) => r.pid)).toEqual(pids);
    expect(after.every((r) => r.health === 'up' && r.owner === 'managed')).toBe(true);
  });

  it('`down` stops what `up` started, and status then says down', async () => {
    expect(await stack.down(['redis', 'mosquitto'])).toEqual(['mosquitto', 'redis']);
    const rows = await stack.status(['redis', 'mosquitto']);
    expect(rows.every((r) => r.health === 'down' && r.owner === 'none')).toBe(true);
    expect(await stack.down(['redis'])).toEqual([]);
  });

  it('rejects an unknown service name with a code', async () => {
    await expect(stack.status(['zookeeper'])).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
  });
});
