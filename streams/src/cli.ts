import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Admin } from 'kafkajs';
import { ZenthosError, createLogger } from '@zenthos/core';
import { createKafkajs, createKafkajsProducer } from '@zenthos/kafka';
import { initTelemetry } from '@zenthos/telemetry';
import { createHttpRegistryClient } from '@zenthos/schemas';
import { loadProcessorConfig, loadStreamsConfig } from './config';
import { parseTime, type DeadLetterFilter } from './domain/dead-letter';
import { describeJson, describeMermaid, describeTree } from './domain/describe';
import { checkTopology, fullTopic, type Topology } from './domain/topology';
import { zenthosTopology } from './domain/zenthos-topology';
import { listDeadLetters, replayDeadLetters } from './adapters/dead-letter-admin';
import { consumerLag } from './adapters/lag';
import { applyTopics, missingTopics } from './adapters/topic-admin';
import { checkSubjects, registerSubjects } from './adapters/subjects';
import { startProcessor } from './main';

const out = (text: string): void => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string): void => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

/** The built-in topology, or one read from a JSON file (to check a change before shipping it). */
const loadTopology = (file?: string): Topology => {
  if (!file) return zenthosTopology;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Topology;
  } catch (e) {
    throw new ZenthosError('ZEN_TOPOLOGY_INVALID', `cannot read topology ${file}: ${(e as Error).message}`);
  }
};

interface AdminContext {
  readonly brokers: readonly string[];
  readonly admin: Admin;
}

const withAdmin = async <T>(fn: (ctx: AdminContext) => Promise<T>): Promise<T> => {
  const config = loadStreamsConfig(process.env);
  const admin = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-cli' }).admin();
  await admin.connect();
  try {
    return await fn({ brokers: config.KAFKA_BROKERS, admin });
  } finally {
    await admin.disconnect();
  }
};

const table = (rows: ReadonlyArray<Readonly<Record<string, string | number>>>): string => {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0] as object);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(width[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.toUpperCase())), ...rows.map((r) => line(cols.map((c) => String(r[c]))))].join('\n');
};

interface FilterOptions {
  reason?: string;
  processor?: string;
  source?: string;
  since?: string;
  until?: string;
}

const toFilter = (o: FilterOptions): DeadLetterFilter => {
  const now = Date.now();
  const time = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const t = parseTime(text, now);
    if (t === undefined) throw new ZenthosError('ZEN_BAD_REQUEST', `--${name} ${text}: give an ISO time or a duration such as 30m, 2h, 7d`);
    return t;
  };
  return {
    reason: o.reason,
    processor: o.processor,
    sourceTopic: o.source,
    sinceMs: time('since', o.since),
    untilMs: time('until', o.until),
  };
};

const filterOptions = (c: Command): Command =>
  c
    .option('--reason <code>', 'only this reason code, e.g. ZEN_UNKNOWN_DEVICE')
    .option('--processor <name>', 'only dead letters of this processor, e.g. telemetry-enrich')
    .option('--source <topic>', 'only records that came from this topic')
    .option('--since <time>', 'only dead letters written since (ISO time or 30m, 2h, 7d ago)')
    .option('--until <time>', 'only dead letters written until (ISO time or duration ago)');

/**
 * `zenthos topology describe|check|apply`, `zenthos lag`, `zenthos dlq list|show|replay` and
 * `zenthos run processor`.
 */
export function registerStreamsCommands(program: Command): void {
  const topology = program
    .command('topology')
    .description('the stream graph: sources, processors, sinks, topics and subjects (one declaration)');
  topology
    .command('describe')
    .description('print the topology as a tree (default), JSON or a Mermaid flowchart')
    .option('--json', 'machine-readable JSON with full topic and subject names')
    .option('--mermaid', 'a Mermaid flowchart')
    .option('--file <path>', 'a topology JSON file instead of the built-in one')
    .action((o: { json?: boolean; mermaid?: boolean; file?: string }) => {
      const t = loadTopology(o.file);
      const prefix = loadStreamsConfig(process.env).STREAMS_TOPIC_PREFIX;
      if (o.json) out(JSON.stringify(describeJson(t, prefix), null, 2));
      else if (o.mermaid) out(describeMermaid(t, prefix));
      else out(describeTree(t, prefix));
    });
  topology
    .command('check')
    .description('check the topology: unknown parents, cycles, missing topics or subjects, incompatible schemas (exit 1 on any problem)')
    .option('--file <path>', 'a topology JSON file instead of the built-in one')
    .option('--live', 'also check the broker (every topic exists) and the schema registry (every subject registered and compatible)')
    .action(async (o: { file?: string; live?: boolean }) => {
      const t = loadTopology(o.file);
      const problems = checkTopology(t).map((p) => `${p.code}: ${p.message}`);
      if (o.live) {
        const prefix = loadStreamsConfig(process.env).STREAMS_TOPIC_PREFIX;
        for (const topic of await withAdmin(({ admin }) => missingTopics(admin, t, prefix))) {
          problems.push(`missing-topic: topic "${topic}" does not exist on the broker (run zenthos topology apply)`);
        }
        const registry = createHttpRegistryClient({ url: loadStreamsConfig(process.env).SCHEMA_REGISTRY_URL });
        for (const p of await checkSubjects(registry, t, prefix)) problems.push(`${p.code}: ${p.message}`);
      }
      if (problems.length === 0) {
        out('topology ok');
        return;
      }
      for (const p of problems) err(p);
      throw new ZenthosError('ZEN_TOPOLOGY_INVALID', `${problems.length} problem(s) in the topology`);
    });
  topology
    .command('apply')
    .description('create or alter the topology topics (partitions, retention, compaction) idempotently')
    .option('--dry-run', 'show what would change without changing anything')
    .option('--register-subjects', "also register every subject's schema in the schema registry (SCHEMA_REGISTRY_URL)")
    .option('--file <path>', 'a topology JSON file instead of the built-in one')
    .action(async (o: { dryRun?: boolean; file?: string; registerSubjects?: boolean }) => {
      const t = loadTopology(o.file);
      const config = loadStreamsConfig(process.env);
      const prefix = config.STREAMS_TOPIC_PREFIX;
      const changes = await withAdmin(({ admin }) => applyTopics(admin, t, prefix, { dryRun: o.dryRun }));
      if (o.registerSubjects && !o.dryRun) {
        const ids = await registerSubjects(createHttpRegistryClient({ url: config.SCHEMA_REGISTRY_URL }), t, prefix);
        for (const [subject, id] of Object.entries(ids)) err(`subject ${subject} → schema id ${id}`);
      }
      out(
        table(
          changes.map((c) => ({
            topic: c.topic,
            action: o.dryRun && c.action !== 'unchanged' ? `would be ${c.action}` : c.action,
            detail: c.detail,
          })),
        ),
      );
    });

  program
    .command('lag')
    .description('consumer lag per group and partition (committed offset vs end of partition)')
    .option('--group <id>', 'only this consumer group (default: every group of the topic prefix)')
    .option('--all', 'every consumer group on the broker')
    .option('--json', 'JSON lines')
    .action(async (o: { group?: string; all?: boolean; json?: boolean }) => {
      const prefix = loadStreamsConfig(process.env).STREAMS_TOPIC_PREFIX;
      const rows = await withAdmin(({ admin }) => consumerLag(admin, { group: o.group, groupPrefix: o.all ? undefined : `${prefix}.` }));
      if (o.json) for (const r of rows) out(JSON.stringify(r));
      else out(rows.length === 0 ? 'no consumer groups with committed offsets' : table(rows.map((r) => ({ ...r }))));
    });

  const dlq = program.command('dlq').description(`dead letters: records a processor could not handle (topic <prefix>.dlq)`);
  filterOptions(dlq.command('list').description('list dead letters with reason, processor and source position'))
    .option('--json', 'JSON lines')
    .action(async (o: FilterOptions & { json?: boolean }) => {
      const prefix = loadStreamsConfig(process.env).STREAMS_TOPIC_PREFIX;
      const letters = await withAdmin((ctx) => listDeadLetters(ctx, fullTopic(prefix, zenthosTopology.deadLetterTopic), toFilter(o)));
      const rows = letters.map((d) => ({
        id: `${d.dlqPartition}:${d.dlqOffset}`,
        time: new Date(d.timeMs).toISOString(),
        reason: d.reason,
        processor: d.processor,
        source: `${d.source.topic}/${d.source.partition}/${d.source.offset}`,
        key: d.key ?? '',
        error: d.error.length > 80 ? `${d.error.slice(0, 77)}...` : d.error,
      }));
      if (o.json) for (const r of rows) out(JSON.stringify(r));
      else out(rows.length === 0 ? 'no dead letters match' : table(rows));
    });
  dlq
    .command('show')
    .description('show one dead letter in full: headers, error and the original bytes (hex)')
    .argument('<id>', 'partition:offset as printed by dlq list')
    .action(async (id: string) => {
      const m = /^(\d+):(\d+)$/.exec(id);
      if (!m) throw new ZenthosError('ZEN_BAD_REQUEST', `dead letter id ${id} is not partition:offset`);
      const prefix = loadStreamsConfig(process.env).STREAMS_TOPIC_PREFIX;
      const letters = await withAdmin((ctx) => listDeadLetters(ctx, fullTopic(prefix, zenthosTopology.deadLetterTopic), {}));
      const d = letters.find((l) => l.dlqPartition === Number(m[1]) && l.dlqOffset === m[2]);
      if (!d) throw new ZenthosError('ZEN_NOT_FOUND', `no dead letter ${id}`);
      out(
        JSON.stringify(
          {
            id,
            reason: d.reason,
            error: d.error,
            processor: d.processor,
            pipeline: d.pipeline,
            source: d.source,
            time: new Date(d.timeMs).toISOString(),
            key: d.key,
            headers: Object.fromEntries(Object.entries(d.record.headers).map(([k, v]) => [k, v.toString()])),
            value_hex: d.record.value?.toString('hex') ?? null,
          },
          null,
          2,
        ),
      );
    });
  filterOptions(dlq.command('replay').description('re-send matching dead letters to their source topic (after fixing the cause)'))
    .option('--dry-run', 'only count what would be replayed')
    .action(async (o: FilterOptions & { dryRun?: boolean }) => {
      const config = loadStreamsConfig(process.env);
      const letters = await withAdmin((ctx) =>
        listDeadLetters(ctx, fullTopic(config.STREAMS_TOPIC_PREFIX, zenthosTopology.deadLetterTopic), toFilter(o)),
      );
      if (o.dryRun || letters.length === 0) {
        out(`${letters.length} dead letter(s) would be replayed`);
        return;
      }
      const producer = createKafkajsProducer({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-cli-dlq-replay' });
      await producer.connect();
      try {
        const n = await replayDeadLetters(producer, letters, (done) => err(`replayed ${done}/${letters.length}`));
        out(`replayed ${n} dead letter(s) to their source topics`);
      } finally {
        await producer.disconnect();
      }
    });

  const run =
    program.commands.find((c) => c.name() === 'run') ?? program.command('run').description('run a Zenthos service in the foreground');
  run
    .command('processor')
    .description('run a stream processor (validate → enrich → dedupe) with exactly-once Kafka transactions; SIGTERM stops it gracefully')
    .option('--name <pipeline>', 'pipeline to run: telemetry, status, inference or logs', 'telemetry')
    .action(async (o: { name: string }) => {
      const config = loadProcessorConfig(process.env);
      // OTEL_* variables decide where traces, metrics and logs go (libs/telemetry).
      const telemetry = initTelemetry({ serviceName: 'stream-processor', env: process.env });
      const logger = createLogger({
        service: `zenthos-processor-${o.name}`,
        level: config.LOG_LEVEL,
        mixin: telemetry.logMixin,
        destination: telemetry.logDestination,
      });
      const p = await startProcessor(config, { name: o.name, logger, telemetry });
      logger.info({ opsPort: p.ops?.port }, 'ops endpoints on /health, /ready, /metrics');
      const stop = (signal: string): void => {
        logger.info({ signal }, 'stopping');
        void p.stop();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      await p.done.finally(() => telemetry.shutdown());
    });
}
