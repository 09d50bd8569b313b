import type { Command } from 'commander';
import { ZenthosError } from '@zenthos/core';
import { loadBenchConfig } from './config';
import { parseBenchOptions, stagePackages, type RawBenchOptions, type StageName } from './domain/options';
import { KAFKA_JIT_WARM_S, kafkaWarmUpNote, runEndToEndBench, runStageBench, type EndToEndResult } from './main';

const n = (x: number | undefined | null): string => (x === undefined || x === null ? '-' : x.toLocaleString('en-US'));

const report = (r: EndToEndResult, file: string): string => {
  const e = r.endToEnd;
  const lines = [
    '',
    `end to end (${r.options.devices} devices × ${r.options.messages} messages, QoS 1, in flight ${r.options.inFlight}${r.paced ? `, paced at ${n(r.paced.offeredPerSecond)} msg/s` : ', unpaced'})`,
    ...(r.sweep ? [`  (the last run of the sweep; every run in the table below)`] : []),
    ...(r.paced
      ? [
          `  offered → published → achieved  ${n(r.paced.offeredPerSecond)} → ${n(r.paced.publishedPerSecond)} → ${n(r.paced.achievedPerSecond)} msg/s (achieved: rows over their own span)`,
          `  backlog at the last PUBLISH     ${n(r.paced.backlogAtEnd)} messages, drained ${n(r.paced.drainMs)} ms later; slots skipped by the generator ${n(r.paced.skippedSlots)}`,
          `  sustained                       ${r.paced.sustained ? 'yes' : `no (${r.paced.shortfalls.join('; ')})`}`,
        ]
      : []),
    `  messages/s (publish → row)      ${n(e.messagesPerSecond)}`,
    `  PUBACKs/s at the bridge         ${n(e.bridgeAckPerSecond)}`,
    `  latency publish → row           p50 ${n(e.latency?.p50Ms)} ms  p99 ${n(e.latency?.p99Ms)} ms  max ${n(e.latency?.maxMs)} ms`,
    `  latency publish → PUBACK        p50 ${n(e.ackLatency?.p50Ms)} ms  p99 ${n(e.ackLatency?.p99Ms)} ms`,
    `  rows ${n(e.rows)}  lost ${n(e.lost)}  duplicated ${n(e.duplicated)}  publish errors ${n(e.publishErrors)}`,
    '  publish → row by stage (min / p50 / p99 ms; each leg over the messages seen at both ends):',
    ...(
      [
        ['publish → bridge', e.stages.publishToBridge],
        ['bridge → processed', e.stages.bridgeToProcessed],
        ['processed → committed', e.stages.processedToVisible],
        ['committed → row', e.stages.visibleToRow],
      ] as const
    ).map(([name, s]) => `    ${name.padEnd(22)} ${n(s?.minMs)} / ${n(s?.p50Ms)} / ${n(s?.p99Ms)}  (${n(s?.count)} messages)`),
    `  processor transactions          ${n(e.processorTransactions)}${e.processorTransactions ? ` (${n(Math.round(e.rows / e.processorTransactions))} records each on average)` : ''}`,
    '  services (average cores over the run, CPU per message, largest RSS):',
    ...Object.entries(r.services).map(
      ([name, u]) => `    ${name.padEnd(22)} ${u.cpuCores.toFixed(2)} cores  ${u.cpuMsPerMessage.toFixed(3)} ms/msg  ${n(u.maxRssMiB)} MiB`,
    ),
    '  shared stack processes (also serve other work on this machine):',
    ...Object.entries(r.infrastructure).map(
      ([name, u]) => `    ${name.padEnd(22)} ${u.cpuCores.toFixed(2)} cores  ${u.cpuMsPerMessage.toFixed(3)} ms/msg`,
    ),
    ...(r.kafkaBrokerAgeS !== null && r.kafkaBrokerAgeS < KAFKA_JIT_WARM_S ? [`  ${kafkaWarmUpNote(r.kafkaBrokerAgeS)}`] : []),
    'baselines',
    `  Mosquitto QoS 1 pub → sub        ${n(r.baselines.mosquitto?.messagesPerSecond)} msg/s${r.baselines.mosquitto?.error ? ` (${r.baselines.mosquitto.error})` : ''}`,
    `  Kafka ProducerPerformance        ${n(r.baselines.kafkaProducer?.messagesPerSecond)} records/s${r.baselines.kafkaProducer?.error ? ` (${r.baselines.kafkaProducer.error})` : ''}`,
    `  psql COPY                        ${n(r.baselines.postgresCopy?.messagesPerSecond)} rows/s${r.baselines.postgresCopy?.error ? ` (${r.baselines.postgresCopy.error})` : ''}`,
    `ratios (end to end ÷ baseline): Mosquitto ${n(r.ratios.endToEndVsMosquitto)}, Kafka producer ${n(r.ratios.endToEndVsKafkaProducer)}, COPY ${n(r.ratios.endToEndVsCopy)}`,
    ...(r.sweep ? sweepTable(r) : []),
    `goal (≥ 20,000 msg/s${r.paced ? ' achieved' : ''}, p99 < 1 s, nothing lost or duplicated): ${r.goal.met ? 'met' : 'not met'}`,
    `results: ${file}`,
    '',
  ];
  return lines.join('\n');
};

const total = (services: EndToEndResult['services']): number =>
  Math.round(Object.values(services).reduce((a, u) => a + u.cpuMsPerMessage, 0) * 1000) / 1000;

/** The sweep's runs side by side and the highest rate held. */
const sweepTable = (r: EndToEndResult): string[] => {
  const sweep = r.sweep;
  if (!sweep) return [];
  const cols = ['offered', 'published', 'achieved', 'p50 ms', 'p99 ms', 'backlog', 'lost', 'dup', 'sustained', 'CPU ms/msg'];
  const row = (cells: string[]): string => `  ${cells.map((c, i) => (i === 8 ? c.padEnd(10) : c.padStart(i === 9 ? 10 : 9))).join(' ')}`;
  return [
    `sweep (${sweep.runs.length} paced runs against the same services; CPU = the load generator and services, per message)`,
    row(cols),
    ...sweep.runs.map((run) =>
      row([
        n(run.rate),
        n(run.paced?.publishedPerSecond),
        n(run.paced?.achievedPerSecond),
        n(run.endToEnd.latency?.p50Ms),
        n(run.endToEnd.latency?.p99Ms),
        n(run.paced?.backlogAtEnd),
        n(run.endToEnd.lost),
        n(run.endToEnd.duplicated),
        run.paced?.sustained ? 'yes' : 'no',
        total(run.services).toFixed(3),
      ]),
    ),
    `highest rate sustained with p99 < 1 s, nothing lost or duplicated: ${sweep.highestHeldRate === null ? 'none' : `${n(sweep.highestHeldRate)} msg/s`}`,
  ];
};

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
        'pub → sub, kafka-producer-perf-test, psql COPY) with the ratios; JSON to bench-results/. ' +
        'With --rate R the devices publish R messages/s in total on staggered schedules and the report adds the offered, ' +
        'published and achieved rates and whether the run sustained R (achieved ≥ 98% of R, backlog at the end ≤ 1 s of R); ' +
        '--rates R1,R2,… sweeps: one paced run per rate against the same services, then a table with the highest rate held with p99 < 1 s. ' +
        `With a stage (${Object.keys(stagePackages).join(', ')}): that package's own benchmark. Needs the local stack (zenthos stack up)`,
    )
    .argument('[stage]', `end to end when omitted, or one of ${Object.keys(stagePackages).join(', ')}`)
    .argument('[args...]', "arguments passed to a stage's benchmark")
    .option('--devices <n>', 'devices (MQTT connections), 1 to 2000', '50')
    .option('--messages <m>', 'messages per device', '200')
    .option('--in-flight <k>', 'unacknowledged QoS 1 messages per device', '16')
    .option(
      '--rate <msg/s>',
      'pace the devices at this many messages per second in total (default: unpaced, as fast as --in-flight allows)',
    )
    .option('--rates <list>', 'sweep: comma-separated rates, one paced run each against the same services (e.g. 8000,12000,16000,20000)')
    .option('--no-baselines', 'skip the Mosquitto, Kafka producer and COPY baselines')
    .option('--drain-timeout <s>', 'seconds to wait for the last rows after the last PUBACK', '120')
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
      log(report(result, file));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    });
}
