import type { Command } from 'commander';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createPool } from '@zenthos/db';
import { formatTelemetryRows, parseBucket, parseSince } from './domain/telemetry-query';
import { queryTelemetry } from './adapters/telemetry-reader';
import { runSink } from './main';

/** `zenthos run sink` and `zenthos telemetry`. */
export function registerSinkCommands(program: Command): void {
  const run =
    program.commands.find((c) => c.name() === 'run') ?? program.command('run').description('run a Zenthos service in the foreground');
  run
    .command('sink')
    .description(
      'consume the enriched Kafka topics into Postgres/TimescaleDB (batched, idempotent; offsets committed after the database commit). ' +
        'Settings: SINK_* variables, DATABASE_URL, KAFKA_BROKERS, SCHEMA_REGISTRY_URL; /health, /ready, /metrics on SINK_OPS_PORT',
    )
    .action(async () => {
      await runSink();
    });

  program
    .command('telemetry')
    .description("print a device's telemetry: raw readings, or 1 minute / 1 hour buckets (count, avg, min, max) from the rollups")
    .requiredOption('--device <id>', 'device id, e.g. esp32-s3-001')
    .option('--since <when>', 'how far back: a duration (90s, 15m, 1h, 7d) or an ISO time', '1h')
    .option('--bucket <width>', 'read the rollups instead of raw rows: 1m or 1h')
    .option('--sensor <name>', 'only this sensor, e.g. temperature')
    .option('--limit <n>', 'at most this many rows', '1000')
    .action(async (opts: { device: string; since: string; bucket?: string; sensor?: string; limit: string }) => {
      const bucket = parseBucket(opts.bucket);
      const query = {
        deviceId: opts.device,
        sinceMs: parseSince(opts.since, Date.now()),
        limit: Math.max(1, Number.parseInt(opts.limit, 10) || 1000),
        ...(bucket ? { bucket } : {}),
        ...(opts.sensor ? { sensor: opts.sensor } : {}),
      };
      const { DATABASE_URL } = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, process.env);
      const pool = createPool(DATABASE_URL, { max: 1, applicationName: 'zenthos-cli' });
      try {
        const rows = await queryTelemetry(pool, query);
        process.stdout.write(formatTelemetryRows(rows, bucket !== undefined));
        if (rows.length === 0) process.stderr.write(`no telemetry for ${opts.device} since ${new Date(query.sinceMs).toISOString()}\n`);
      } finally {
        await pool.end();
      }
    });
}
