import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerDbCommands } from '@zenthos/db';
import { registerDevicesCommands } from '@zenthos/devices';
import { registerOtaCommands } from '../src/cli';
import { startHarness, type Harness } from './harness';

describe('zenthos CLI: db, devices, tokens, firmware, rollout, keys', () => {
  let h: Harness;
  const saved = { ...process.env };

  const program = (): Command => {
    const p = new Command('zenthos').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
    registerDbCommands(p);
    registerDevicesCommands(p);
    registerOtaCommands(p);
    return p;
  };
  /** Runs one command line and answers what it printed. */
  const run = async (...args: string[]): Promise<string> => {
    const out: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await program().parseAsync(['node', 'zenthos', ...args]);
    } finally {
      spy.mockRestore();
    }
    return out.join('');
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await run(...args)) as T;

  beforeAll(async () => {
    h = await startHarness();
    // The commands read their settings from the environment, as `zenthos` does.
    Object.assign(process.env, h.env);
  });
  afterAll(async () => {
    for (const key of Object.keys(h?.env ?? {})) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await h?.close();
  });

  it('db migrate is idempotent', async () => {
    expect(await json('db', 'migrate')).toMatchObject({ applied: [] });
  });

  it('devices add prints {device_id, model, token}; list and revoke work', async () => {
    const added = await json<{ device_id: string; model: string; token: string }>(
      'devices',
      'add',
      'cli-dev-1',
      '--model',
      'esp32-s3',
      '--tag',
      'lab',
    );
    expect(Object.keys(added).sort()).toEqual(['device_id', 'model', 'token']);
    expect(added).toMatchObject({ device_id: 'cli-dev-1', model: 'esp32-s3' });
    await expect(h.ota.parts.devices.verifyDeviceToken(added.token)).resolves.toMatchObject({ deviceId: 'cli-dev-1' });
    const listed = (await run('devices', 'list', '--tag', 'lab'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(listed.map((d) => d.id)).toEqual(['cli-dev-1']);
    await run('devices', 'add', 'cli-dev-2', '--model', 'esp32-s3');
    await run('devices', 'revoke', 'cli-dev-2');
    expect((await h.ota.parts.devices.getDevice('cli-dev-2'))?.revokedAt).toBeInstanceOf(Date);
  });

  it('tokens create makes a token the API accepts with exactly its scopes', async () => {
    const created = await json<{ token: string; scopes: string[] }>('tokens', 'create', '--scope', 'read,rollback', '--name', 'ops');
    expect(created.scopes).toEqual(['read', 'rollback']);
    expect((await h.call('GET', '/releases', { token: created.token })).status).toBe(200);
    expect((await h.call('POST', '/rollouts', { token: created.token, json: {} })).status).toBe(403);
    await expect(run('tokens', 'create', '--scope', 'admin')).rejects.toMatchObject({ code: 'ZEN_BAD_REQUEST' });
  });

  it('firmware publish signs and publishes; rollout create|status|pause|resume|abort drive the rollout', async () => {
    const file = join(h.dir, 'fw.bin');
    writeFileSync(file, Buffer.alloc(2000, 7));
    const rel = await json<{ version: string; source: string }>(
      'firmware',
      'publish',
      '--model',
      'esp32-s3',
      '--version',
      'v1.0.0',
      '--file',
      file,
    );
    expect(rel).toMatchObject({ version: 'v1.0.0', source: 'cli' });
    expect(((await (await h.call('GET', '/firmware/esp32-s3/latest')).json()) as { version: string }).version).toBe('v1.0.0');

    const modelFile = join(h.dir, 'model.tflite');
    writeFileSync(modelFile, 'model');
    expect(await json('model', 'publish', '--model', 'esp32-s3', '--version', 'm-20251130-abcdef1', '--file', modelFile)).toMatchObject({
      kind: 'model',
    });

    const rollout = await json<{ id: string; status: string; cohort: unknown; stages: { percent: number }[] }>(
      'rollout',
      'create',
      '--model',
      'esp32-s3',
      '--version',
      'v1.0.0',
      '--tag',
      'lab',
      '--stages',
      '50,100',
      '--threshold',
      '0.2',
    );
    expect(rollout).toMatchObject({ status: 'active', cohort: { type: 'tag', tag: 'lab' } });
    expect(rollout.stages.map((s) => s.percent)).toEqual([50, 100]);
    expect(await json('rollout', 'status', rollout.id)).toMatchObject({ id: rollout.id, status: 'active' });
    expect(await json('rollout', 'pause', rollout.id, '--reason', 'looking')).toMatchObject({ status: 'paused', status_reason: 'looking' });
    expect(await json('rollout', 'resume', rollout.id)).toMatchObject({ status: 'active' });
    expect(await json('rollout', 'advance', rollout.id)).toMatchObject({ current_stage: 1 });
    expect(await json('rollout', 'abort', rollout.id)).toMatchObject({ status: 'aborted' });
    expect(await json<unknown[]>('rollout', 'status')).toHaveLength(1);
    expect(await json<unknown[]>('firmware', 'list')).toHaveLength(1);
    expect(await json('firmware', 'yank', 'esp32-s3', 'v1.0.0', '--reason', 'bad')).toMatchObject({ yank_reason: 'bad' });
  });

  it('firmware publish --api goes through POST /releases with a publish token', async () => {
    const file = join(h.dir, 'fw2.bin');
    writeFileSync(file, Buffer.alloc(3000, 8));
    const rel = await json<{ version: string; source: string; size: number }>(
      'firmware',
      'publish',
      '--model',
      'esp32-s3',
      '--version',
      'v1.5.0',
      '--file',
      file,
      '--api',
      h.ota.url,
      '--token',
      h.tokens.publish,
    );
    expect(rel).toMatchObject({ version: 'v1.5.0', source: 'upload', size: 3000 });
    await expect(
      run(
        'firmware',
        'publish',
        '--model',
        'esp32-s3',
        '--version',
        'v1.5.0',
        '--file',
        file,
        '--api',
        h.ota.url,
        '--token',
        h.tokens.publish,
      ),
    ).rejects.toMatchObject({
      code: 'ZEN_CONFLICT',
    });
    await expect(
      run(
        'firmware',
        'publish',
        '--model',
        'esp32-s3',
        '--version',
        'v1.6.0',
        '--file',
        file,
        '--api',
        h.ota.url,
        '--token',
        h.tokens.read,
      ),
    ).rejects.toMatchObject({
      code: 'ZEN_FORBIDDEN',
    });
  });

  it("devices tags replaces a device's tags", async () => {
    await run('devices', 'add', 'cli-tags-1', '--model', 'esp32-s3', '--tag', 'lab');
    expect(await json('devices', 'tags', 'cli-tags-1', '--tag', 'beta', '--tag', 'field')).toMatchObject({
      device: { id: 'cli-tags-1', tags: ['beta', 'field'] },
      notified: 0,
    });
    expect(await json('devices', 'tags', 'cli-tags-1')).toMatchObject({ device: { tags: [] } });
    await expect(run('devices', 'tags', 'nobody', '--tag', 'x')).rejects.toMatchObject({ code: 'ZEN_NOT_FOUND' });
  });

  it('keys generate, add-public, list and revoke', async () => {
    const out = join(h.dir, 'new-key.pem');
    const generated = await json<{ key_id: string }>('keys', 'generate', '--out', out);
    expect(generated.key_id).toMatch(/^[0-9a-f]{16}$/);
    const { createPublicKey } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    writeFileSync(join(h.dir, 'new-key.pub'), createPublicKey(readFileSync(out, 'utf8')).export({ type: 'spki', format: 'pem' }));
    expect(await json('keys', 'add-public', join(h.dir, 'new-key.pub'))).toEqual({ key_id: generated.key_id });
    const keys = await json<{ key_id: string; active: boolean }[]>('keys', 'list');
    expect(keys.map((k) => k.key_id)).toContain(generated.key_id);
    // The key signed nothing, so no device's offer moves.
    expect(await json('keys', 'revoke', generated.key_id)).toEqual({ key_id: generated.key_id, revoked: true, notified: 0 });
    const after = (await (await h.call('GET', '/keys')).json()) as { keys: { key_id: string; revoked_at: string | null }[] };
    expect(after.keys.find((k) => k.key_id === generated.key_id)?.revoked_at).toEqual(expect.any(String));
  });

  it('every command has a description for --help', () => {
    const walk = (c: Command): Command[] => [c, ...c.commands.flatMap(walk)];
    const all = walk(program()).slice(1);
    expect(all.length).toBeGreaterThan(20);
    for (const c of all) expect([c.name(), c.description().length > 10]).toEqual([c.name(), true]);
    expect(all.map((c) => c.name())).toEqual(
      expect.arrayContaining(['ota', 'publish', 'create', 'status', 'pause', 'resume', 'abort', 'add', 'revoke', 'list']),
    );
  });
});
