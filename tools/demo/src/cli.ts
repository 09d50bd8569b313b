import type { Command } from 'commander';
import { ZenthosError } from '@zenthos/core';
import { parseDurationMs } from '@zenthos/simulator';
import { loadDemoConfig } from './config';
import { parseStagePercents } from './domain/rollout-plan';
import { runDemo, type DemoSummary } from './main';

const printSummary = (s: DemoSummary): string =>
  [
    '',
    `Zenthos demo — ${s.devices} devices, ${s.durationS} s${s.interrupted ? ' (interrupted)' : ''}`,
    `  messages acknowledged by the bridge  ${s.simulator?.acknowledged ?? 0}`,
    `  rows in telemetry_raw                ${s.telemetryRows}`,
    `  envelopes in RabbitMQ sensor_data    ${s.sensorDataEnvelopes ?? 'n/a'}`,
    `  firmware ${s.release.from} → ${s.release.to}: devices updated ${s.devicesUpdated}/${s.devices}`,
    `  rollout ${s.rollout ? `${s.rollout.id} ${s.rollout.status}` : 'none'}`,
    `  dead letters (zenthos.dlq)           ${s.deadLetters}`,
    '',
  ].join('\n');

/** `zenthos demo`: the whole platform on this machine, simulated devices and a staged rollout. */
export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description(
      'start every service (registry, bridge, processors, sink, RabbitMQ bridge, alerts, OTA API) as child processes with logs ' +
        'in .zenthos/logs, register the devices, publish a signed firmware, run the simulated fleet through a staged rollout ' +
        'and print a summary (rows in telemetry_raw, envelopes in sensor_data, devices updated, dead letters). ' +
        'Needs the local stack (zenthos stack up) and the default ports free. Ctrl-C stops everything cleanly',
    )
    .option('--devices <n>', 'simulated devices (1 to 2000)', '100')
    .option('--duration <d>', 'how long the devices run: seconds or 30s, 2m', '60')
    .option('--rate <r>', 'telemetry messages per second per device', '1')
    .option('--model <model>', 'device model', 'esp32-s3')
    .option('--stages <percents>', 'rollout stages, increasing shares ending at 100', '10,50,100')
    .action(async (o: { devices: string; duration: string; rate: string; model: string; stages: string }) => {
      const devices = Number(o.devices);
      const durationMs = parseDurationMs(o.duration);
      const rate = Number(o.rate);
      const stages = parseStagePercents(o.stages);
      const problems: string[] = [];
      if (!Number.isInteger(devices) || devices < 1 || devices > 2000) problems.push(`--devices "${o.devices}" must be 1 to 2000`);
      if (durationMs === undefined || durationMs < 10_000) problems.push(`--duration "${o.duration}" must be at least 10 s`);
      if (!(rate > 0 && rate <= 100)) problems.push(`--rate "${o.rate}" must be above 0 and at most 100`);
      if (!stages) problems.push(`--stages "${o.stages}" must be increasing shares ending at 100, e.g. 10,50,100`);
      if (problems.length > 0) throw new ZenthosError('ZEN_BAD_REQUEST', problems.join('; '));
      const config = loadDemoConfig(process.env);
      const abort = new AbortController();
      const onSignal = (): void => {
        process.stderr.write('\nstopping the demo cleanly (Ctrl-C again to quit at once)\n');
        process.once('SIGINT', () => process.exit(130));
        abort.abort();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const summary = await runDemo(
          config,
          { devices, durationMs: durationMs as number, ratePerDevice: rate, model: o.model, stages: stages as number[] },
          { log: (line) => void process.stderr.write(`${line}\n`), signal: abort.signal },
        );
        process.stderr.write(printSummary(summary));
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        if (summary.interrupted) process.exitCode = 130;
      } catch (err) {
        // Ctrl-C before the devices ran: everything started was stopped; nothing to summarize.
        if (!abort.signal.aborted) throw err;
        process.stderr.write('demo interrupted before it ran; every service it started is stopped\n');
        process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
