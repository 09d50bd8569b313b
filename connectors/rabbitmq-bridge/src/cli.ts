import type { Command } from 'commander';
import { commonEnv, loadConfig } from '@zenthos/core';
import { createPool, migrate } from '@zenthos/db';
import { parseRule } from './domain/alert-rules';
import { createAlertsStore, type AlertsStore } from './adapters/alerts-store';
import { runUntilSignal, startAlerts, startBridge } from './main';

const withStore = async (fn: (store: AlertsStore) => Promise<void>): Promise<void> => {
  const { DATABASE_URL } = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL }, process.env);
  const pool = createPool(DATABASE_URL, { max: 1, applicationName: 'zenthos-cli' });
  try {
    await migrate(pool);
    await fn(createAlertsStore(pool));
  } finally {
    await pool.end();
  }
};

/** `zenthos run rabbit`, `zenthos run alerts` and `zenthos alerts rules add|list|remove`. */
export function registerRabbitCommands(program: Command): void {
  const run =
    program.commands.find((c) => c.name() === 'run') ?? program.command('run').description('run a Zenthos service in the foreground');
  run
    .command('rabbit')
    .description(
      'republish the enriched Kafka topics to RabbitMQ as spec §7 envelopes (exchange ingest.exchange; quorum queues sensor_data, alerts, ' +
        'firmware_jobs with dlx.<queue>); publisher confirms, offsets committed after the confirms. Settings: RABBIT_*, AMQP_URL',
    )
    .action(() => runUntilSignal(() => startBridge()));
  run
    .command('alerts')
    .description(
      'evaluate threshold rules on sensor_data, write the alerts table and publish alert envelopes to alerts. Settings: ALERTS_*, AMQP_URL, DATABASE_URL',
    )
    .action(() => runUntilSignal(() => startAlerts()));

  const rules = program
    .command('alerts')
    .description('threshold alerts on device telemetry')
    .command('rules')
    .description('manage the threshold rules the alerts worker evaluates (per device model)');
  rules
    .command('add')
    .description('add a rule: alert when <sensor> <op> <threshold> for devices of <model>, at most once per device and window')
    .requiredOption('--model <model>', 'device model, e.g. esp32-s3, or * for every model')
    .requiredOption('--sensor <name>', 'sensor name in the telemetry, e.g. temperature')
    .requiredOption('--op <op>', 'comparison: >, >=, < or <=')
    .requiredOption('--threshold <value>', 'number to compare with')
    .option('--window <duration>', 'breach window: one alert per device per window (300, 90s, 5m, 1h)', '5m')
    .option('--severity <level>', 'info, warning or critical', 'warning')
    .action(async (opts: { model: string; sensor: string; op: string; threshold: string; window: string; severity: string }) => {
      const rule = parseRule(opts);
      await withStore(async (store) => {
        const added = await store.addRule(rule);
        process.stdout.write(`${JSON.stringify(added)}\n`);
      });
    });
  rules
    .command('list')
    .description('list the rules')
    .action(async () => {
      await withStore(async (store) => {
        const list = await store.listRules();
        process.stdout.write('id\tmodel\tsensor\top\tthreshold\twindow_s\tseverity\n');
        for (const r of list)
          process.stdout.write(`${r.id}\t${r.deviceModel}\t${r.sensor}\t${r.op}\t${r.threshold}\t${r.windowS}\t${r.severity}\n`);
      });
    });
  rules
    .command('remove')
    .description('remove a rule (and the alerts it fired) by id')
    .argument('<id>', 'rule id from `zenthos alerts rules list`')
    .action(async (id: string) => {
      await withStore(async (store) => {
        const removed = await store.removeRule(Number(id));
        process.stdout.write(removed ? `removed rule ${id}\n` : `no rule ${id}\n`);
        if (!removed) process.exitCode = 1;
      });
    });
}
