import { generateKeyPairSync } from 'node:crypto';
import { createReadStream, existsSync, openAsBlob, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { errorCodes, ZenthosError, type ErrorCode } from '@zenthos/core';
import { keyIdOf } from '@zenthos/devices';
import { initTelemetry } from '@zenthos/telemetry';
import { loadOtaConfig } from './config';
import { createOtaParts, startOtaServer, type OtaParts } from './main';
import { parseCohort, stagesFromPercents, type Cohort, type RolloutAction } from './domain/rollout';
import type { ReleaseKind } from './domain/versions';

const print = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
};

const withParts = async <T>(fn: (parts: OtaParts) => Promise<T>): Promise<T> => {
  const parts = await createOtaParts(loadOtaConfig(process.env), {});
  try {
    return await fn(parts);
  } finally {
    await parts.close();
  }
};

/** The `run` group, shared by every service package: found if another package made it. */
export const runGroup = (program: Command): Command =>
  program.commands.find((c) => c.name() === 'run') ?? program.command('run').description('run one Zenthos service in the foreground');

/** `POST /releases` with a multipart upload; a `{code, message}` answer becomes a ZenthosError. */
async function publishOverHttp(
  api: string,
  token: string | undefined,
  input: { kind: ReleaseKind; model: string; version: string; file: string; notes?: string },
): Promise<unknown> {
  if (!token) throw new ZenthosError('ZEN_UNAUTHORIZED', '--api needs --token or OTA_API_TOKEN (scope publish)');
  const form = new FormData();
  form.set('kind', input.kind);
  form.set('device_model', input.model);
  form.set('version', input.version);
  if (input.notes) form.set('release_notes', input.notes);
  form.set('file', await openAsBlob(input.file), basename(input.file));
  let res: Response;
  try {
    res = await fetch(`${api.replace(/\/+$/, '')}/releases`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  } catch (err) {
    throw new ZenthosError('ZEN_DEPENDENCY_UNAVAILABLE', `OTA API ${api}: ${(err as Error).message}`, true, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!res.ok) {
    const code = isErrorCode(body.code) ? body.code : 'ZEN_INTERNAL';
    throw new ZenthosError(code, `OTA API answered ${res.status}: ${body.message ?? ''}`);
  }
  return body;
}

const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && (errorCodes as readonly string[]).includes(value);

const addReleaseCommands = (program: Command, kind: ReleaseKind): void => {
  const noun = kind === 'firmware' ? 'firmware' : 'model';
  const group = program
    .command(noun)
    .description(kind === 'firmware' ? 'firmware releases: publish, list, yank' : 'ML model releases: publish, list, yank');
  group
    .command('publish')
    .description(`sign and publish a ${noun} release atomically (the artifact and its row appear together or not at all)`)
    .requiredOption('--model <device_model>', 'device model, e.g. esp32-s3')
    .requiredOption('--version <version>', kind === 'firmware' ? 'vMAJOR.MINOR.PATCH' : 'm-YYYYMMDD-<sha>')
    .requiredOption('--file <path>', 'the artifact')
    .option('--notes <text>', 'release notes')
    .option('--api <url>', 'publish through a running OTA API (POST /releases) instead of the database directly, e.g. from CI')
    .option('--token <token>', 'API token with the publish scope for --api (default: $OTA_API_TOKEN)')
    .action(async (opts: { model: string; version: string; file: string; notes?: string; api?: string; token?: string }) => {
      if (!existsSync(opts.file)) throw new ZenthosError('ZEN_BAD_REQUEST', `no file ${opts.file}`);
      if (opts.api) {
        print(await publishOverHttp(opts.api, opts.token ?? process.env.OTA_API_TOKEN, { kind, ...opts }));
        return;
      }
      print(
        await withParts(async (p) => {
          const staged = await p.releases.stage(createReadStream(opts.file));
          return p.releases.publish({
            kind,
            deviceModel: opts.model,
            version: opts.version,
            releaseNotes: opts.notes,
            staged,
            source: 'cli',
          });
        }),
      );
    });
  group
    .command('list')
    .description(`list ${noun} releases, newest first per device model`)
    .option('--model <device_model>', 'only this device model')
    .action(async (opts: { model?: string }) => {
      print(await withParts((p) => p.releases.list({ kind, deviceModel: opts.model })));
    });
  group
    .command('yank')
    .description(`withdraw a ${noun} release: devices are no longer offered it, latest falls back to the previous one`)
    .argument('<device_model>', 'device model')
    .argument('<version>', 'version')
    .option('--reason <text>', 'why')
    .action(async (model: string, version: string, opts: { reason?: string }) => {
      print(await withParts((p) => p.releases.yank(kind, model, version, opts.reason)));
    });
};

/** `zenthos run ota`, `firmware|model publish|list|yank`, `tokens`, `keys`, `devices tags`, `rollout`. */
export function registerOtaCommands(program: Command): void {
  // `firmware publish --version v1.0.0` must reach the sub-command, not the program's own
  // `--version` flag: program options are then recognised only before the sub-command.
  program.enablePositionalOptions();
  runGroup(program)
    .command('ota')
    .description(
      'run the OTA API (OTA_PORT, default 8080): releases, device routes, rollouts, GitHub webhook; ' +
        'devices whose offered release changes (publish, yank, rollout, key revocation, tag change) are notified through ' +
        'OTA_NOTIFICATIONS_TOPIC (the bridge publishes to zenthos/{model}/{id}/ota)',
    )
    .action(async () => {
      const config = loadOtaConfig(process.env);
      const telemetry = initTelemetry({ serviceName: 'ota-api', env: process.env });
      const server = await startOtaServer(config, { telemetry });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server
            .close()
            .then(() => telemetry.shutdown())
            .then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  addReleaseCommands(program, 'firmware');
  addReleaseCommands(program, 'model');

  const tokens = program.command('tokens').description('bearer tokens for the OTA management API (scopes read, publish, rollback)');
  tokens
    .command('create')
    .description('create a token and print it once; only its hash is stored')
    .requiredOption('--scope <scopes>', 'comma-separated: read, publish, rollback')
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--ttl-days <days>', 'expire after this many days', (v) => Number(v))
    .action(async (opts: { scope: string; name: string; ttlDays?: number }) => {
      print(await withParts((p) => p.tokens.create(opts.name, opts.scope, opts.ttlDays)));
    });
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async () => print(await withParts((p) => p.tokens.list())));
  tokens
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'token id')
    .action(async (id: string) => {
      await withParts((p) => p.tokens.revoke(id));
      print({ id, revoked: true });
    });

  const keys = program.command('keys').description('ed25519 release-signing keys (GET /keys lists the public halves)');
  keys
    .command('list')
    .description('list signing keys; the active one signs new releases')
    .action(async () => print(await withParts((p) => p.keyring.list())));
  keys
    .command('generate')
    .description('write a new ed25519 private key (PKCS#8 PEM, mode 0600) to use as OTA_SIGNING_KEY_FILE; keep it out of the repository')
    .requiredOption('--out <file>', 'where to write the private key')
    .action((opts: { out: string }) => {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(opts.out, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      print({ key_id: keyIdOf(privateKey), file: opts.out });
    });
  keys
    .command('add-public')
    .description('trust a public key (PEM) for verifying .sig assets of GitHub releases')
    .argument('<file>', 'SPKI PEM public key')
    .action(async (file: string) => {
      print({ key_id: await withParts((p) => p.keyring.addPublicKey(readFileSync(file, 'utf8'))) });
    });
  keys
    .command('revoke')
    .description(
      'revoke a key: releases it signed are refused to devices and it can no longer sign; devices whose offered release ' +
        'this moves are notified (OTA_NOTIFICATIONS), and if Kafka cannot take the notifications nothing is revoked',
    )
    .argument('<key_id>', 'key id')
    .action(async (keyId: string) => {
      const { notified } = await withParts((p) => p.releases.revokeKey(keyId));
      print({ key_id: keyId, revoked: true, notified });
    });

  // The `devices` group belongs to @zenthos/devices (registered first by the zenthos CLI); a tag
  // change lives here because it notifies devices, which needs the OTA API's parts.
  const devices =
    program.commands.find((c) => c.name() === 'devices') ??
    program.command('devices').description('device registry and device tokens (EdDSA JWT the MQTT bridge and OTA API accept)');
  devices
    .command('tags')
    .description(
      "replace a device's tags (rollout cohorts) and print {device, notified}; the device is notified when that moves " +
        'its offered release (PATCH /devices/{id} does the same)',
    )
    .argument('<id>', 'device id')
    .option('--tag <tag>', 'a tag (repeatable); none clears the tags', (value: string, previous: string[]) => [...previous, value], [])
    .action(async (id: string, opts: { tag: string[] }) => print(await withParts((p) => p.deviceUpdates.setTags(id, opts.tag))));

  const rollout = program.command('rollout').description('staged rollouts of a release to a cohort of devices');
  rollout
    .command('create')
    .description('start a rollout; the release reaches the cohort stage by stage and pauses itself above the failure threshold')
    .requiredOption('--model <device_model>', 'device model')
    .requiredOption('--version <version>', 'release version')
    .option('--kind <kind>', 'firmware or model', 'firmware')
    .option('--stages <percents>', 'stage shares of the cohort', '1,10,50,100')
    .option('--threshold <fraction>', 'failure rate (0..1) above which a stage pauses', '0.1')
    .option('--min-devices <n>', 'reports needed before a stage is judged', '1')
    .option('--tag <tag>', 'cohort: devices with this tag')
    .option('--devices <ids>', 'cohort: these device ids, comma-separated')
    .option('--percent <p>', 'cohort: this share of the model')
    .action(
      async (opts: {
        model: string;
        version: string;
        kind: string;
        stages: string;
        threshold: string;
        minDevices: string;
        tag?: string;
        devices?: string;
        percent?: string;
      }) => {
        const cohort: Cohort = opts.tag
          ? parseCohort({ type: 'tag', tag: opts.tag })
          : opts.devices
            ? parseCohort({ type: 'devices', deviceIds: opts.devices.split(',').map((s) => s.trim()) })
            : opts.percent
              ? parseCohort({ type: 'percentage', percent: Number(opts.percent) })
              : { type: 'all' };
        const stages = stagesFromPercents(opts.stages, Number(opts.threshold), Number(opts.minDevices));
        print(
          await withParts((p) => p.rollouts.create({ kind: opts.kind, device_model: opts.model, version: opts.version, cohort, stages })),
        );
      },
    );
  rollout
    .command('status')
    .description('show one rollout with per-stage report counts, or list rollouts')
    .argument('[id]', 'rollout id')
    .action(async (id?: string) => print(await withParts<unknown>((p) => (id ? p.rollouts.get(id) : p.rollouts.list()))));
  const acts: [RolloutAction, string][] = [
    ['pause', 'stop reaching further devices (devices already reached keep the release)'],
    ['resume', 'continue a paused rollout'],
    ['abort', 'end the rollout: every device is offered the previous release again'],
    ['advance', 'widen to the next stage; completes after the last'],
  ];
  for (const [action, description] of acts) {
    rollout
      .command(action)
      .description(description)
      .argument('<id>', 'rollout id')
      .option('--reason <text>', 'why')
      .action(async (id: string, opts: { reason?: string }) => print(await withParts((p) => p.rollouts.act(id, action, opts.reason))));
  }
}
