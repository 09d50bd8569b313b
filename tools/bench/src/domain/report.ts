import type { EndToEndResult, ServiceFigures } from '../main';
import type { StageBreakdown } from './stages';

/**
 * A Kafka broker JVM younger than this may still be compiling its hot paths (JIT). The local
 * stack's broker runs C1-compiled only and reaches its steady CPU per message within about a
 * minute of load; a broker started otherwise (tiered, with C2) takes much longer.
 */
export const KAFKA_JIT_WARM_S = 60;

/** The line printed when the broker is younger than {@link KAFKA_JIT_WARM_S}. */
export const kafkaWarmUpNote = (ageS: number): string =>
  `note: the Kafka broker JVM started ${ageS} s ago (less than ${KAFKA_JIT_WARM_S} s): its JIT may still be warming up, which ` +
  'inflates its CPU per message; the kafka-broker figure of this run may be high, repeat the run for a comparable one';

const n = (x: number | undefined | null): string => (x === undefined || x === null ? '-' : x.toLocaleString('en-US'));

/** The label column of the process lines. */
const label = (name: string): string => `    ${name.padEnd(22)}`;

const serviceLine = (name: string, u: ServiceFigures): string =>
  `${label(name)} ${u.cpuCores.toFixed(2)} cores  ${u.cpuMsPerMessage.toFixed(3)} ms/msg  ${n(u.maxRssMiB)} MiB`;

const stageLines = (stages: StageBreakdown | null): string[] =>
  stages === null
    ? ['  publish → row by stage           not measured (--stages measures it, with one more Kafka consumer on this machine)']
    : [
        '  publish → row by stage (min / p50 / p99 ms; each leg over the messages seen at both ends):',
        ...(
          [
            ['publish → bridge', stages.publishToBridge],
            ['bridge → processed', stages.bridgeToProcessed],
            ['processed → committed', stages.processedToVisible],
            ['committed → row', stages.visibleToRow],
          ] as const
        ).map(([name, s]) => `${label(name)} ${n(s?.minMs)} / ${n(s?.p50Ms)} / ${n(s?.p99Ms)}  (${n(s?.count)} messages)`),
      ];

/** The sweep's runs side by side and the highest rate held. */
const sweepTable = (r: EndToEndResult): string[] => {
  const sweep = r.sweep;
  if (!sweep) return [];
  const cols = ['offered', 'published', 'achieved', 'p50 ms', 'p99 ms', 'backlog', 'lost', 'dup', 'sustained', 'CPU ms/msg'];
  const row = (cells: string[]): string => `  ${cells.map((c, i) => (i === 8 ? c.padEnd(10) : c.padStart(i === 9 ? 10 : 9))).join(' ')}`;
  return [
    `sweep (${sweep.runs.length} paced runs against the same services; CPU = the load generator, services and shared stack processes, per message)`,
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
        run.cpuMsPerMessageTotal.toFixed(3),
      ]),
    ),
    `highest rate sustained with p99 < 1 s, nothing lost or duplicated: ${sweep.highestHeldRate === null ? 'none' : `${n(sweep.highestHeldRate)} msg/s`}`,
  ];
};

/** The human-readable report of an end-to-end result (stderr); `file` is where its JSON went. */
export function formatReport(r: EndToEndResult, file: string): string {
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
    ...stageLines(e.stages),
    `  processor transactions          ${n(e.processorTransactions)}${e.processorTransactions ? ` (${n(Math.round(e.rows / e.processorTransactions))} records each on average)` : ''}`,
    `  services (average cores over the run, CPU per message, largest RSS; LOG_LEVEL ${r.options.logLevel}):`,
    ...Object.entries(r.services).map(([name, u]) => serviceLine(name, u)),
    '  shared stack processes (also serve other work on this machine):',
    ...Object.entries(r.infrastructure).map(
      ([name, u]) => `${label(name)} ${u.cpuCores.toFixed(2)} cores  ${u.cpuMsPerMessage.toFixed(3)} ms/msg`,
    ),
    `  CPU per message, all of the above ${r.cpuMsPerMessageTotal.toFixed(3)} ms/msg`,
    ...(r.stageObserver
      ? ['  measuring tool (--stages; not in the total above, but on the same cores):', serviceLine('stage observer', r.stageObserver)]
      : []),
    ...(r.kafkaBrokerAgeS !== null && r.kafkaBrokerAgeS < KAFKA_JIT_WARM_S ? [`  ${kafkaWarmUpNote(r.kafkaBrokerAgeS)}`] : []),
    `  machine speed: a fixed loop took ${r.machineSpeed.before.medianMs} ms before the warm-up, ${r.machineSpeed.after.medianMs} ms after the run (higher is slower)`,
    'baselines',
    `  Mosquitto QoS 1 pub → sub        ${n(r.baselines.mosquitto?.messagesPerSecond)} msg/s${r.baselines.mosquitto?.error ? ` (${r.baselines.mosquitto.error})` : ''}`,
    `  Kafka ProducerPerformance        ${n(r.baselines.kafkaProducer?.messagesPerSecond)} records/s${r.baselines.kafkaProducer?.error ? ` (${r.baselines.kafkaProducer.error})` : ''}`,
    `  psql COPY                        ${n(r.baselines.postgresCopy?.messagesPerSecond)} rows/s${r.baselines.postgresCopy?.error ? ` (${r.baselines.postgresCopy.error})` : ''}`,
    `ratios (end to end ÷ baseline): Mosquitto ${n(r.ratios.endToEndVsMosquitto)}, Kafka producer ${n(r.ratios.endToEndVsKafkaProducer)}, COPY ${n(r.ratios.endToEndVsCopy)}`,
    ...sweepTable(r),
    `goal (≥ 20,000 msg/s${r.paced ? ' achieved' : ''}, p99 < 1 s, nothing lost or duplicated): ${r.goal.met ? 'met' : 'not met'}`,
    ...(r.logDir !== null ? [`service logs: ${r.logDir}`] : []),
    `results: ${file}`,
    '',
  ];
  return lines.join('\n');
}
