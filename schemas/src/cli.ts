import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { ZenthosError, isZenthosError, loadConfig, runCommandGroup } from '@zenthos/core';
import { gitRoot, gitSchemaHistory } from './adapters/git-history';
import { createHttpRegistryClient } from './adapters/http-registry-client';
import { clientEnv } from './config';
import { schemaText } from './domain/avro';
import { readContractSources, subjectOfKey, topicOfKey } from './domain/codegen';
import { checkContractHistory } from './domain/contract-check';
import { compatibilityLevels, type CompatibilityLevel, type SchemaRegistryClient } from './domain/registry-port';
import { startRegistryFromEnv } from './main';

/** The folder of this package (holding avro/), from either src/ or dist/src/. */
export function schemasPackageDir(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'avro')) || !existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new ZenthosError('ZEN_NOT_FOUND', 'cannot find the schemas package folder (avro/)');
    dir = parent;
  }
  return dir;
}

const registryFrom = (opts: { registryUrl?: string }): SchemaRegistryClient =>
  createHttpRegistryClient({ url: opts.registryUrl ?? loadConfig(clientEnv, process.env).SCHEMA_REGISTRY_URL });

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** One contract's verdict in `schemas check`. */
export interface CheckVerdict {
  readonly subject: string;
  readonly against: string;
  readonly problems: readonly string[];
}

/**
 * Checks every contract of `avro/`: against the versions registered in the registry, or
 * against its earlier versions in git (at `level`). Used by `zenthos schemas check` and by the
 * contract-gate test that `npm test` runs.
 */
export async function checkContracts(options: {
  readonly against: 'registry' | 'git';
  readonly level?: CompatibilityLevel;
  readonly ref?: string;
  readonly registry?: SchemaRegistryClient;
  readonly avroDir?: string;
}): Promise<CheckVerdict[]> {
  const avroDir = options.avroDir ?? join(schemasPackageDir(), 'avro');
  const level = options.level ?? 'BACKWARD';
  const verdicts: CheckVerdict[] = [];
  const root = options.against === 'git' ? gitRoot(avroDir) : undefined;
  for (const source of readContractSources(avroDir)) {
    const subject = subjectOfKey(source.key);
    const file = join(avroDir, `${source.key}.avsc`);
    const current = readFileSync(file, 'utf8');
    if (options.against === 'registry') {
      const registry = options.registry!;
      try {
        const result = await registry.testCompatibility(subject, schemaText(current), 'latest');
        verdicts.push({
          subject,
          against: 'registry latest',
          problems: result.isCompatible ? [] : result.messages.length ? result.messages : ['incompatible'],
        });
      } catch (err) {
        if (!isZenthosError(err, 'ZEN_NOT_FOUND')) throw err;
        verdicts.push({ subject, against: 'registry (not registered yet)', problems: [] });
      }
      continue;
    }
    const history = root === undefined ? [] : gitSchemaHistory(root, relative(root, file), current, options.ref);
    verdicts.push({
      subject,
      against: history.length ? history.map((h) => h.label).join(', ') : 'git (no earlier version)',
      problems: checkContractHistory(level, current, history),
    });
  }
  return verdicts;
}

/**
 * `zenthos schemas list|register|check` and `zenthos run registry`. Every client command uses
 * only the standard Confluent REST API, so SCHEMA_REGISTRY_URL may point at any compatible
 * registry (Confluent, Karapace, Apicurio in Confluent mode).
 */
export function registerSchemasCommands(program: Command): void {
  const schemas = program
    .command('schemas')
    .description('Avro contracts in schemas/avro and the schema registry (SCHEMA_REGISTRY_URL, default http://127.0.0.1:8081)');

  schemas
    .command('list')
    .description('list the contracts with their topic and subject, and what the registry holds for each subject')
    .option('--registry-url <url>', 'registry to ask (default: SCHEMA_REGISTRY_URL)')
    .option('--offline', 'do not ask the registry')
    .action(async (opts: { registryUrl?: string; offline?: boolean }) => {
      const registry = opts.offline ? undefined : registryFrom(opts);
      for (const source of readContractSources(join(schemasPackageDir(), 'avro'))) {
        const subject = subjectOfKey(source.key);
        let state = 'registry not asked';
        if (registry) {
          try {
            const latest = await registry.getVersion(subject, 'latest');
            const local = await registry.lookup(subject, schemaText(source.schema)).catch(() => undefined);
            state = local
              ? `registered: version ${local.version}, id ${local.id}${local.version === latest.version ? '' : ` (latest is version ${latest.version})`}`
              : `local file not registered (latest is version ${latest.version}, id ${latest.id})`;
          } catch (err) {
            if (isZenthosError(err, 'ZEN_NOT_FOUND')) state = 'not registered';
            else if (isZenthosError(err, 'ZEN_SCHEMA_REGISTRY_FAILED')) state = 'registry unreachable';
            else throw err;
          }
        }
        print(`${source.key.padEnd(20)} ${topicOfKey(source.key).padEnd(28)} ${subject.padEnd(34)} ${state}`);
      }
    });

  schemas
    .command('register')
    .description('register every schema of schemas/avro under its subject (<topic>-value); registering again is a no-op')
    .option('--registry-url <url>', 'registry to write to (default: SCHEMA_REGISTRY_URL)')
    .action(async (opts: { registryUrl?: string }) => {
      const registry = registryFrom(opts);
      for (const source of readContractSources(join(schemasPackageDir(), 'avro'))) {
        const subject = subjectOfKey(source.key);
        const text = schemaText(source.schema);
        const id = await registry.register(subject, text);
        const { version } = await registry.lookup(subject, text);
        print(`${subject.padEnd(34)} id ${id}, version ${version}`);
      }
    });

  schemas
    .command('check')
    .description(
      'check every schema of schemas/avro for compatible evolution: against the registered versions, or against its earlier versions in git; fails naming the field and the rule',
    )
    .option('--against <where>', 'registry | git | auto (registry when reachable, else git)', 'auto')
    .option('--level <level>', `compatibility level for the git check: ${compatibilityLevels.join(', ')}`, 'BACKWARD')
    .option('--ref <ref>', 'git: compare with the version at this ref instead of the file history')
    .option('--registry-url <url>', 'registry to ask (default: SCHEMA_REGISTRY_URL)')
    .action(async (opts: { against: string; level: string; ref?: string; registryUrl?: string }) => {
      const level = opts.level.toUpperCase() as CompatibilityLevel;
      if (!compatibilityLevels.includes(level))
        throw new ZenthosError('ZEN_BAD_REQUEST', `unknown level ${opts.level}; use one of ${compatibilityLevels.join(', ')}`);
      if (!['registry', 'git', 'auto'].includes(opts.against))
        throw new ZenthosError('ZEN_BAD_REQUEST', `--against must be registry, git or auto`);
      let against = opts.against as 'registry' | 'git' | 'auto';
      const registry = against === 'git' ? undefined : registryFrom(opts);
      if (against === 'auto') {
        against = await registry!.listSubjects().then(
          () => 'registry' as const,
          () => 'git' as const,
        );
      }
      const verdicts = await checkContracts({ against, level, ref: opts.ref, registry });
      let failed = 0;
      for (const v of verdicts) {
        print(`${v.problems.length ? 'INCOMPATIBLE' : 'ok'.padEnd(12)} ${v.subject} (against ${v.against})`);
        for (const p of v.problems) print(`    ${p}`);
        if (v.problems.length) failed++;
      }
      if (failed > 0) throw new ZenthosError('ZEN_SCHEMA_INCOMPATIBLE', `${failed} schema(s) would break existing readers or writers`);
    });

  runCommandGroup(program)
    .command('registry')
    .description(
      'run the Confluent-compatible schema registry (port SCHEMA_REGISTRY_PORT, default 8081) with its state in the compacted Kafka topic SCHEMA_REGISTRY_TOPIC (default _schemas)',
    )
    .option('--port <port>', 'port of the REST API (overrides SCHEMA_REGISTRY_PORT)')
    .option('--topic <topic>', 'state topic (overrides SCHEMA_REGISTRY_TOPIC)')
    .action(async (opts: { port?: string; topic?: string }) => {
      const registry = await startRegistryFromEnv({
        ...process.env,
        ...(opts.port ? { SCHEMA_REGISTRY_PORT: opts.port } : {}),
        ...(opts.topic ? { SCHEMA_REGISTRY_TOPIC: opts.topic } : {}),
      });
      print(`schema registry listening on ${registry.url}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void registry.stop().then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
