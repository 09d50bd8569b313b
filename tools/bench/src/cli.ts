import type { Command } from 'commander';
import { ZenthosError } from '@zenthos/core';
import { loadBenchConfig } from './config';
import {
  DEFAULT_LOG_LEVEL,
  DEFAULT_WARM_UP,
  LOG_LEVELS,
  parseBenchOptions,
  stagePackages,
  type RawBenchOptions,
  type StageName,
} from './domain/options';
import { formatReport } from './domain/report';
import { runEndToEndBench, runStageBench } from './main';

/**
 * `zenthos bench [stage]`: with no stage the end-to-end benchmark with its baselines; with a
 * stage, that package's own benchmark.
 */
export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark the platform on this machine. Without a stage: N devices publish M messages at QoS 1 through ' +
        'bridge → processor → sink (each a child process, own topics and database); reports messages/s and p50/p99 ' +
        'publish → row in telemetry_raw, CPU and RSS per service, and in the same run the raw baselines (Mosquitto QoS 1 ' +
        'pub → sub, kafka-producer-perf-test, psql COPY) with the ratios, and the CPU per message of all of those processes ' +
        'together; JSON to bench-results/. --stages adds publish → row split by stage (an extra Kafka consumer, whose CPU is shown apart). ' +
        'With --rate R the devices publish R messages/s in total on staggered schedules and the report adds the offered, ' +
        'published and achieved rates and whether the run sustained R (achieved ≥ 98% of R, backlog at the end ≤ 1 s of R); ' +
        '--rates R1,R2,… sweeps: one paced run per rate against the same services, then a table with the highest rate held with p99 < 1 s. ' +
        `With a stage (${Object.keys(stagePackages).join(', ')}): that package's own benchmark. Needs the local stack (zenthos stack up)`,
    )
    .argument('[stage]', `end to end when omitted, or one of ${Object.keys(stagePackages).join(', ')}`)
    .argument('[args...]', "arguments passed to a stage's benchmark")
    .option('--devices <n>', 'devices (MQTT connections), 1 to 2000', '50')
    .option('--messages <m>', 'messages per device', '1000')
    .option('--in-flight <k>', 'unacknowledged QoS 1 messages per device', '16')
    .option(
      '--warm-up <n>',
      'messages published unpaced before the measured runs, in all, not counted: at least one per device, the rest spread over the devices',
      String(DEFAULT_WARM_UP),
    )
    .option(
      '--rate <msg/s>',
      'pace the devices at this many messages per second in total (default: unpaced, as fast as --in-flight allows)',
    )
    .option('--rates <list>', 'sweep: comma-separated rates, one paced run each against the same services (e.g. 8000,12000,16000,20000)')
    .option('--no-baselines', 'skip the Mosquitto, Kafka producer and COPY baselines')
    .option('--drain-timeout <s>', 'seconds to wait for the last rows after the last PUBACK', '120')
    .option(
      '--stages',
      'per-stage latency publish → bridge → processed → visible → row, at the cost of an extra Kafka consumer on the same machine',
    )
    .option(
      '--log-level <level>',
      `LOG_LEVEL of the started services, one of ${LOG_LEVELS.join(', ')} (more logging costs the services CPU the run counts)`,
      DEFAULT_LOG_LEVEL,
    )
    .option('--keep-logs', "keep the run's temporary directory with the service logs and print its path (deleted by default)")
    .action(async (stage: string | undefined, args: string[], raw: RawBenchOptions) => {
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      if (stage !== undefined) {
        if (!(stage in stagePackages)) {
          throw new ZenthosError('ZEN_BAD_REQUEST', `unknown stage "${stage}"; stages: ${Object.keys(stagePackages).join(', ')}`);
        }
        process.exitCode = await runStageBench(stage as StageName, args, { log });
        return;
      }
      const options = parseBenchOptions(raw);
      const { result, file } = await runEndToEndBench(loadBenchConfig(process.env), options, { log });
      log(formatReport(result, file));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
