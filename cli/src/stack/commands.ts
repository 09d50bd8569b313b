import { existsSync, readFileSync, watchFile } from 'node:fs';
import type { Command } from 'commander';
import { createPool, migrate } from '@zenthos/db';
import { projectRoot } from '../project';
import { loadStackConfig } from './config';
import { Stack, type ServiceStatus } from './stack';

const createStack = (): Stack => new Stack(projectRoot(), loadStackConfig());
const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Renders `status` as an aligned table. */
export const formatStatus = (rows: readonly ServiceStatus[]): string => {
  const table = [
    ['SERVICE', 'HEALTH', 'ADDRESS', 'RUN BY', 'DETAIL'],
    ...rows.map((r) => [
      r.name,
      r.health,
      r.address,
      r.owner === 'managed' ? `zenthos (pid ${r.pid})` : r.owner === 'external' ? 'external' : '-',
      r.detail ?? r.logFile ?? '',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** `zenthos stack up|down|status|logs`. */
export function registerStackCommands(program: Command): void {
  const stack = program
    .command('stack')
    .description('run the services Zenthos needs (Kafka, PostgreSQL, RabbitMQ, Redis, Mosquitto) on this machine, without Docker');

  stack
    .command('up')
    .description('start every service that is not running yet and wait until each is healthy (idempotent)')
    .argument('[services...]', 'only these services (kafka, postgres, rabbitmq, redis, mosquitto)')
    .option('--no-migrate', 'do not apply the database migrations once PostgreSQL is up')
    .action(async (services: string[], opts: { migrate: boolean }) => {
      const results = await createStack().up(services, say);
      for (const r of results) say(`${r.name.padEnd(10)} ${r.action.padEnd(16)} ${r.address}`);
      if (opts.migrate && results.some((r) => r.name === 'postgres')) {
        const pool = createPool(loadStackConfig().DATABASE_URL, { max: 1, applicationName: 'zenthos-stack' });
        try {
          const { applied, alreadyApplied } = await migrate(pool);
          say(
            `postgres   migrations: ${applied.length} applied${applied.length ? ` (${applied.join(', ')})` : ''}, ${alreadyApplied} already in place`,
          );
        } finally {
          await pool.end();
        }
      }
    });

  stack
    .command('down')
    .description('stop the services that `stack up` started (services run by others are left alone)')
    .argument('[services...]', 'only these services')
    .action(async (services: string[]) => {
      const stopped = await createStack().down(services, say);
      if (stopped.length === 0) say('nothing to stop');
    });

  stack
    .command('status')
    .description('print each service, its address and health')
    .argument('[services...]', 'only these services')
    .option('--json', 'print JSON instead of a table')
    .option('--check', 'exit with status 1 when a service is down')
    .action(async (services: string[], opts: { json?: boolean; check?: boolean }) => {
      const rows = await createStack().status(services);
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStatus(rows)}\n`);
      if (opts.check && rows.some((r) => r.health === 'down')) process.exitCode = 1;
    });

  stack
    .command('logs')
    .description("print a service's log (the last lines of each service when none is named)")
    .argument('[service]', 'the service whose log to print')
    .option('-n, --lines <n>', 'how many lines', '40')
    .option('-f, --follow', 'keep printing new lines')
    .action((service: string | undefined, opts: { lines: string; follow?: boolean }) => {
      const s = createStack();
      const names = service ? [service] : s.names();
      if (service && !s.names().includes(service)) throw new Error(`unknown service ${service} (known: ${s.names().join(', ')})`);
      const lines = Math.max(1, Number(opts.lines) || 40);
      for (const name of names) {
        const file = s.paths(name).logFile;
        if (names.length > 1) process.stdout.write(`==> ${name} (${file}) <==\n`);
        process.stdout.write(
          existsSync(file) ? `${readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}\n` : '(no log)\n',
        );
      }
      if (opts.follow && service) {
        const file = s.paths(service).logFile;
        let size = existsSync(file) ? readFileSync(file).length : 0;
        watchFile(file, { interval: 500 }, () => {
          const buf = readFileSync(file);
          process.stdout.write(buf.subarray(size));
          size = buf.length;
        });
      }
    });
}
