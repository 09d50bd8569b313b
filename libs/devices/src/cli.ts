import type { Command } from 'commander';
import { createPool, migrate } from '@zenthos/db';
import { loadDevicesConfig } from './config';
import { createDeviceRegistryFromConfig } from './adapters/from-config';
import type { DeviceRegistry } from './adapters/device-registry';

const withRegistry = async <T>(fn: (registry: DeviceRegistry) => Promise<T>): Promise<T> => {
  const config = loadDevicesConfig(process.env);
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'zenthos-cli' });
  try {
    await migrate(pool);
    return await fn(createDeviceRegistryFromConfig(config, pool));
  } finally {
    await pool.end();
  }
};

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `zenthos devices add|token|revoke|list`: the device registry and device credentials. */
export function registerDevicesCommands(program: Command): void {
  const devices = program
    .command('devices')
    .description('device registry and device tokens (EdDSA JWT the MQTT bridge and OTA API accept)');
  devices
    .command('add')
    .description('register a device and print {device_id, model, token} as JSON; the token is shown only once')
    .argument('<id>', 'device id, e.g. esp32-s3-001 (letters, digits, . _ -)')
    .requiredOption('--model <model>', 'device model, e.g. esp32-s3')
    .option('--owner <owner>', 'owner of the device')
    .option('--tag <tag>', 'tag for rollout cohorts (repeatable)', collect, [])
    .action(async (id: string, opts: { model: string; owner?: string; tag: string[] }) => {
      print(await withRegistry((r) => r.registerDevice({ id, model: opts.model, owner: opts.owner, tags: opts.tag })));
    });
  devices
    .command('token')
    .description('issue a new token for a registered device (rotation); older tokens stay valid until revoked or expired')
    .argument('<id>', 'device id')
    .action(async (id: string) => {
      const issued = await withRegistry((r) => r.issueDeviceToken(id));
      print({ device_id: id, token: issued.token, expires_at: issued.expiresAt.toISOString() });
    });
  devices
    .command('revoke')
    .description('revoke a device: every token it holds is refused from now on (other processes within DEVICE_REVOCATION_CACHE_MS)')
    .argument('<id>', 'device id')
    .action(async (id: string) => {
      await withRegistry((r) => r.revokeDevice(id));
      print({ device_id: id, revoked: true });
    });
  devices
    .command('list')
    .description('list registered devices as JSON lines')
    .option('--model <model>', 'only this model')
    .option('--tag <tag>', 'only devices with this tag')
    .action(async (opts: { model?: string; tag?: string }) => {
      const list = await withRegistry((r) => r.listDevices(opts));
      for (const d of list) print(d);
    });
}
