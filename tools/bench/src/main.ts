import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import {
  deleteRedisKeys,
  deleteTopics,
  freePlatformPorts,
  projectRoot,
  startPlatform,
  type Platform,
  type PlatformPorts,
} from '@zenthos/demo';
import { deviceIdsFor, mapLimited } from '@zenthos/simulator';
import { startLoadProcess, type LoadDevice, type LoadProcess } from '@zenthos/testing';
import type { BenchConfig } from './config';
import { planStage, stagePackages, warmUpPerDevice, type BenchOptions, type StageName, type StagePlan } from './domain/options';
import { ratePerSecond, ratio, summarizeLatencies, type LatencySummary } from './domain/stats';
import { arrivalCount, arrivals, installArrivalClock, telemetryTotals, type ArrivalClock } from './adapters/arrivals';
import { copyBaseline, kafkaProducerBaseline, mosquittoBaseline, type BaselineResult } from './adapters/baselines';
import {
  createGroupSampler,
  createResourceSampler,
  findInfrastructure,
  youngestAgeSeconds,
  type ProcessUsage,
} from './adapters/proc-sampler';
import { startVisibilityObserver, type VisibilityObserver } from './adapters/visibility';
import { stageBreakdown, type MessageTimes, type StageBreakdown } from './domain/stages';
import { sumSamples } from './domain/prometheus';
import { highestHeldRate, judgePacedRun, type PacedFigures, type SweepPoint } from './domain/paced';
import { cpuMsPerMessage, totalCpuMsPerMessage } from './domain/cpu';
import { benchMethod } from './domain/method';
import { calibrate, type Calibration } from './domain/calibration';
import { KAFKA_JIT_WARM_S, kafkaWarmUpNote } from './domain/report';

/** The end-to-end benchmark's results, as written to bench-results/. */
export interface EndToEndResult {
  readonly kind: 'end-to-end';
  readonly startedAt: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly node: string };
  readonly options: BenchOptions;
  readonly method: string;
  readonly endToEnd: {
    readonly published: number;
    readonly acknowledged: number;
    readonly publishErrors: number;
    /** PUBACKs per second: first PUBLISH → last PUBACK. */
    readonly bridgeAckPerSecond: number;
    /** PUBLISH → PUBACK (the bridge acknowledges once Kafka has the record). */
    readonly ackLatency: LatencySummary | null;
    /** Rows per second: first PUBLISH → last row stamped in telemetry_raw. */
    readonly messagesPerSecond: number;
    readonly rows: number;
    readonly lost: number;
    readonly duplicated: number;
    readonly latency: LatencySummary | null;
    readonly arrivalTrigger: ArrivalClock;
    /**
     * publish → row split at the bridge, the processor's enrich step and the commit of its
     * transaction; null when not measured (without `--stages` no observer runs).
     */
    readonly stages: StageBreakdown | null;
    /** Kafka transactions the telemetry processor committed over the run (its /metrics), null when unreadable. */
    readonly processorTransactions: number | null;
  };
  /** Per service (and the load generator): CPU and memory over the run, and CPU milliseconds spent per message. */
  readonly services: Record<string, ServiceFigures>;
  /**
   * With `--stages`: the visibility observer's CPU and memory over the run, measured like a
   * service's but counted in neither `services` nor `cpuMsPerMessageTotal`; null without.
   */
  readonly stageObserver: ServiceFigures | null;
  /**
   * The local stack's shared processes (Kafka broker, Postgres, Redis) over the same window:
   * they also serve whatever else runs on the machine, so this is an upper bound of the run's share.
   */
  readonly infrastructure: Record<string, { readonly cpuCores: number; readonly cpuSeconds: number; readonly cpuMsPerMessage: number }>;
  /** CPU milliseconds per message of `services` and `infrastructure` together (the stage observer not included). */
  readonly cpuMsPerMessageTotal: number;
  /** With `--keep-logs`: the directory the services' logs were kept in; null when they were deleted. */
  readonly logDir: string | null;
  /**
   * Seconds the local Kafka broker had been running when the measured run started (null when not
   * found): under {@link KAFKA_JIT_WARM_S} its CPU per message is still inflated by JIT warm-up.
   */
  readonly kafkaBrokerAgeS: number | null;
  /**
   * A fixed single-threaded loop timed just before the warm-up and just after the last measured
   * run (median of five, ms): higher is a slower machine. Runs are comparable when these are.
   */
  readonly machineSpeed: { readonly before: Calibration; readonly after: Calibration };
  readonly baselines: {
    readonly mosquitto: BaselineResult | null;
    readonly kafkaProducer: BaselineResult | null;
    readonly postgresCopy: BaselineResult | null;
  };
  readonly ratios: {
    readonly endToEndVsMosquitto: number | null;
    readonly endToEndVsKafkaProducer: number | null;
    readonly endToEndVsCopy: number | null;
  };
  /** With --rate (or a sweep's last run): offered and achieved rate and whether the run sustained it; null unpaced. */
  readonly paced: PacedResult | null;
  /** With --rates: every run, and the highest offered rate held (sustained, p99 < 1 s, nothing lost or duplicated). */
  readonly sweep: { readonly runs: readonly SweepRun[]; readonly highestHeldRate: number | null } | null;
  /**
   * The issue's goal: ≥ 20,000 msg/s (paced: the achieved rate; unpaced: `endToEnd.messagesPerSecond`),
   * p99 publish → row < 1 s, nothing lost or duplicated. For a sweep, judged on its last run.
   */
  readonly goal: { readonly messagesPerSecond: 20_000; readonly p99Ms: 1_000; readonly met: boolean };
}

/** Longest pause after the warm-up while the local Kafka broker is younger than {@link KAFKA_JIT_WARM_S}. */
const MAX_WARM_UP_WAIT_MS = 60_000;

/** The figures of one measured run. */
export type EndToEndFigures = EndToEndResult['endToEnd'];

/** A process's usage over a run with its CPU per message. */
export type ServiceFigures = ProcessUsage & { readonly cpuMsPerMessage: number };

/** A paced run's figures with how the generator paced it. */
export type PacedResult = PacedFigures & {
  /** Schedule slots the generator skipped because a device was more than maxBurst messages behind. */
  readonly skippedSlots: number;
  readonly maxBurst: number;
  readonly tickMs: number;
};

/** One measured run of a sweep (or the only one). */
export interface SweepRun {
  /** Offered msg/s; null unpaced. */
  readonly rate: number | null;
  readonly endToEnd: EndToEndFigures;
  readonly paced: PacedResult | null;
  readonly services: EndToEndResult['services'];
  readonly stageObserver: ServiceFigures | null;
  readonly infrastructure: EndToEndResult['infrastructure'];
  readonly cpuMsPerMessageTotal: number;
}

/** A run as measured, before the observer's sightings (if any) give its stages. */
interface MeasuredRun extends Omit<SweepRun, 'rate' | 'endToEnd'> {
  readonly rate: number | undefined;
  readonly endToEnd: Omit<EndToEndFigures, 'stages'>;
  readonly publishedAt: ReadonlyMap<string, number>;
  readonly arrived: ReadonlyMap<string, number>;
}

/** The observer's name among the sampled processes (split out of the services again). */
const OBSERVER = 'stage-observer';

/** Pause between a sweep's runs, so that one run's last batches and commits are not the next one's. */
const SWEEP_PAUSE_MS = 3_000;

const sweepPoint = (r: SweepRun): SweepPoint => ({
  offeredPerSecond: r.rate ?? 0,
  sustained: r.paced?.sustained ?? false,
  p99Ms: r.endToEnd.latency?.p99Ms ?? null,
  lost: r.endToEnd.lost,
  duplicated: r.endToEnd.duplicated,
});

/** Where human-readable lines go (stderr). */
export interface BenchIo {
  readonly log: (line: string) => void;
}

const model = 'esp32-s3';

/**
 * The end-to-end benchmark: registry, bridge, telemetry processor and sink as child processes on
 * free ports with their own topic prefix and database; N devices publish M messages at QoS 1;
 * then the raw baselines with the same sizes.
 */
export async function runEndToEndBench(
  config: BenchConfig,
  options: BenchOptions,
  io: BenchIo,
): Promise<{ result: EndToEndResult; file: string }> {
  const { log } = io;
  const run = randomBytes(4).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-bench-'));
  const logDir = join(dir, 'logs');
  const total = options.devices * options.messages;
  const startedAt = new Date().toISOString();
  let db: TemporaryDatabase | undefined;
  let platform: Platform | undefined;
  let observer: VisibilityObserver | undefined;
  let loadProcess: LoadProcess | undefined;
  const topicPrefix = `bench${run}`;
  const registryTopic = `_schemas_bench${run}`;
  try {
    const database = await createTemporaryDatabase(config.DATABASE_URL);
    db = database;
    const clock = await installArrivalClock(db.pool);
    const keysDir = join(dir, 'keys');

    // Devices first: the registry creates the platform key the bridge then verifies tokens with.
    const ids = deviceIdsFor(`bench-${run}`, model, options.devices);
    const devicesConfig = loadDevicesConfig({ DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: keysDir });
    const registry = createDeviceRegistryFromConfig(devicesConfig, db.pool);
    const credentials = await mapLimited(ids, 10, async (id) => ({ id, token: (await registry.registerDevice({ id, model })).token }));

    const ports: PlatformPorts = await freePlatformPorts();
    log(
      `starting registry, bridge, telemetry processor and sink (topic prefix ${topicPrefix}, database ${db.name}, LOG_LEVEL ${options.logLevel}); ` +
        `logs in ${logDir}${options.keepLogs ? '' : ' (deleted at the end; --keep-logs keeps them)'}`,
    );
    platform = await startPlatform(
      ports,
      {
        topicPrefix,
        rabbitPrefix: `bench-${run}.`,
        redisPrefix: `zenthos-bench:${run}:`,
        registryTopic,
        databaseUrl: db.url,
        storageDir: join(dir, 'artifacts'),
        keysDir,
        logLevel: options.logLevel,
        without: ['processor-status', 'rabbit', 'alerts', 'ota'],
      },
      { logDir, env: process.env, progress: log },
    );
    loadProcess = await startLoadProcess();
    const pids: Record<string, number> = { 'load-generator': loadProcess.pid };
    for (const [name, p] of platform.services) pids[name] = p.pid;

    const devices: LoadDevice[] = credentials.map((c) => ({ id: c.id, token: c.token, topic: `zenthos/${model}/${c.id}/telemetry` }));
    // Warm-up, not measured: the first message per device gets schema registration, consumer
    // group joins and the first transactions behind us; the rest of --warm-up runs the hot paths
    // of these fresh processes (and of the broker) until they are optimised. The measured run
    // starts once every warm-up message is a row.
    const speedBefore = calibrate();
    log(`machine speed: a fixed loop takes ${speedBefore.medianMs} ms (median of ${speedBefore.samples}; higher is slower)`);
    const perDevice = warmUpPerDevice(options.warmUp, options.devices);
    log(`warm-up (not measured): 1 + ${perDevice} messages from each of the ${options.devices} devices`);
    const first = await loadProcess.run({ url: `mqtt://127.0.0.1:${ports.mqtt}`, model, devices, messagesPerDevice: 1, inFlight: 1 });
    await waitForRows(db, clock, first.acknowledged, 60_000, log);
    const kafkaPorts = config.KAFKA_BROKERS.map((b) => Number(b.slice(b.lastIndexOf(':') + 1))).filter((p) => p > 0);
    const brokerAge = (): number | null => youngestAgeSeconds(findInfrastructure(kafkaPorts)['kafka-broker'] ?? []) ?? null;
    if (perDevice > 0) {
      const rest = await loadProcess.run({
        url: `mqtt://127.0.0.1:${ports.mqtt}`,
        model,
        devices,
        messagesPerDevice: perDevice,
        inFlight: options.inFlight,
      });
      await waitForRows(db, clock, first.acknowledged + rest.acknowledged, 120_000, log);
      // A broker started moments ago (a fresh `npm run bench`) measured high even after the
      // warm-up's traffic; a pause until it has run KAFKA_JIT_WARM_S (at most MAX_WARM_UP_WAIT_MS)
      // lets its compiler catch up. More traffic instead would add rows and dedupe keys enough to
      // set off PostgreSQL's autovacuum and Redis' rehashing inside the measured run.
      const youngAt = brokerAge();
      if (youngAt !== null && youngAt < KAFKA_JIT_WARM_S) {
        const waitMs = Math.min(MAX_WARM_UP_WAIT_MS, (KAFKA_JIT_WARM_S - youngAt) * 1000);
        log(`  the Kafka broker started ${youngAt} s ago: waiting ${Math.round(waitMs / 1000)} s until it has run ${KAFKA_JIT_WARM_S} s`);
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }

    // Opt-in: the observer is one more Kafka consumer on the same two cores (about 0.006-0.008 ms
    // of CPU per message, plus the broker's work for its fetches), taken from the services.
    if (options.stages) {
      observer = await startVisibilityObserver({
        brokers: config.KAFKA_BROKERS,
        topic: `${topicPrefix}.telemetry.enriched`,
        group: `${topicPrefix}.bench-observer`,
        registryUrl: `http://127.0.0.1:${ports.registry}`,
      });
    }
    const observerPid = observer?.pid;
    const processorMetricsUrl = `http://127.0.0.1:${ports.processorTelemetryOps}/metrics`;
    const kafkaBrokerAgeS = brokerAge();
    if (kafkaBrokerAgeS !== null && kafkaBrokerAgeS < KAFKA_JIT_WARM_S) log(kafkaWarmUpNote(kafkaBrokerAgeS));

    /** One measured run (paced at `rate`, or unpaced) against the services started above. */
    const measure = async (rate: number | undefined): Promise<MeasuredRun> => {
      log(
        `end to end: ${options.devices} devices × ${options.messages} messages at QoS 1 (${total} messages), in flight ${options.inFlight} per device, ` +
          (rate === undefined
            ? 'unpaced'
            : `paced at ${rate} msg/s in total (${Math.round((rate / options.devices) * 10) / 10} per device)`),
      );
      const before = await telemetryTotals(database.pool);
      const stampedBefore = await arrivalCount(database.pool, clock);
      const transactionsBefore = await committedTransactions(processorMetricsUrl);
      // The observer is sampled like a service, under a name of its own, and reported apart.
      const sampler = createResourceSampler(observerPid === undefined ? pids : { ...pids, [OBSERVER]: observerPid });
      // Looked up per run: PostgreSQL backends come and go (the sink's pool closes idle
      // connections between the runs of a sweep), and only those alive at the start are sampled.
      const infraSampler = createGroupSampler(findInfrastructure(kafkaPorts));
      sampler.start();
      infraSampler.start();
      const load = await (loadProcess as LoadProcess).run(
        {
          url: `mqtt://127.0.0.1:${ports.mqtt}`,
          model,
          devices,
          messagesPerDevice: options.messages,
          inFlight: options.inFlight,
          ...(rate !== undefined ? { ratePerSecond: rate } : {}),
        },
        (acked, errors) => log(`  acknowledged ${acked}/${total}${errors ? `, errors ${errors}` : ''}`),
      );
      if (load.firstError !== undefined) log(`  load generator: ${load.firstError}`);
      // Rows still on their way: wait for all of them, or until the count stops moving.
      await waitForRows(database, clock, stampedBefore + load.acknowledged, options.drainTimeoutMs, log);
      const usage = sampler.stop();
      const infraUsage = infraSampler.stop();
      const transactionsAfter = await committedTransactions(processorMetricsUrl);

      // This run's messages only: a sweep's earlier runs (and the warm-up) are rows of the same table.
      const stamped = await arrivals(database.pool, clock);
      const arrived = new Map<string, number>();
      const latencies: number[] = [];
      let firstArrival = Number.POSITIVE_INFINITY;
      let lastArrival = 0;
      let afterLastPublish = 0;
      let lost = 0;
      for (const [id, sent] of load.publishedAt) {
        const t = stamped.get(id);
        if (t === undefined) {
          lost++;
          continue;
        }
        arrived.set(id, t);
        latencies.push(t - sent);
        if (t < firstArrival) firstArrival = t;
        if (t > lastArrival) lastArrival = t;
        if (t > load.lastPublishMs) afterLastPublish++;
      }
      const after = await telemetryTotals(database.pool);
      const totals = { rows: after.rows - before.rows, distinct: after.distinct - before.distinct };
      const latency = summarizeLatencies(latencies) ?? null;
      const perMessage = (cpuSeconds: number): number => cpuMsPerMessage(cpuSeconds, totals.distinct);
      const { [OBSERVER]: observerUsage, ...serviceUsage } = usage;
      const services = Object.fromEntries(
        Object.entries(serviceUsage).map(([name, u]) => [name, { ...u, cpuMsPerMessage: perMessage(u.cpuSeconds) }]),
      );
      const stageObserver = observerUsage ? { ...observerUsage, cpuMsPerMessage: perMessage(observerUsage.cpuSeconds) } : null;
      const infrastructure = Object.fromEntries(
        Object.entries(infraUsage).map(([name, u]) => [
          name,
          { cpuCores: u.cpuCores, cpuSeconds: u.cpuSeconds, cpuMsPerMessage: perMessage(u.cpuSeconds) },
        ]),
      );
      const paced: PacedResult | null =
        rate === undefined
          ? null
          : {
              ...judgePacedRun({
                offeredPerSecond: rate,
                published: load.sent,
                firstPublishMs: load.firstPublishMs,
                lastPublishMs: load.lastPublishMs,
                rows: arrived.size,
                firstRowMs: firstArrival,
                lastRowMs: lastArrival,
                rowsAfterLastPublish: afterLastPublish,
              }),
              skippedSlots: load.pacing?.skippedSlots ?? 0,
              maxBurst: load.pacing?.maxBurst ?? 0,
              tickMs: load.pacing?.tickMs ?? 0,
            };
      const endToEnd: Omit<EndToEndFigures, 'stages'> = {
        published: load.sent,
        acknowledged: load.acknowledged,
        publishErrors: load.errors,
        bridgeAckPerSecond: ratePerSecond(load.acknowledged, load.firstPublishMs, load.lastAckMs),
        ackLatency: summarizeLatencies(load.ackLatenciesMs) ?? null,
        messagesPerSecond: ratePerSecond(totals.distinct, load.firstPublishMs, lastArrival),
        rows: totals.rows,
        lost,
        duplicated: totals.rows - totals.distinct,
        latency,
        arrivalTrigger: clock,
        processorTransactions: transactionsBefore === null || transactionsAfter === null ? null : transactionsAfter - transactionsBefore,
      };
      log(
        `  end to end ${endToEnd.messagesPerSecond} msg/s, p50 ${latency?.p50Ms ?? '-'} ms, p99 ${latency?.p99Ms ?? '-'} ms, lost ${lost}, duplicated ${endToEnd.duplicated}` +
          (paced
            ? `; offered ${paced.offeredPerSecond}, published ${paced.publishedPerSecond}, achieved ${paced.achievedPerSecond} msg/s, backlog at the end ${paced.backlogAtEnd}: ${paced.sustained ? 'sustained' : `not sustained (${paced.shortfalls.join('; ')})`}`
            : ''),
      );
      const cpuMsPerMessageTotal = totalCpuMsPerMessage([...Object.values(services), ...Object.values(infrastructure)], totals.distinct);
      return {
        rate,
        endToEnd,
        paced,
        services,
        stageObserver,
        infrastructure,
        cpuMsPerMessageTotal,
        publishedAt: load.publishedAt,
        arrived,
      };
    };

    const measured: MeasuredRun[] = [];
    const sweep = options.rates !== undefined;
    for (const rate of options.rates ?? [options.rate]) {
      // Between a sweep's runs: the consumers' last batches and the sink's commits settle first.
      if (measured.length > 0) await new Promise((r) => setTimeout(r, SWEEP_PAUSE_MS));
      measured.push(await measure(rate));
    }
    const sightings = await observer?.stop();
    observer = undefined;
    const stagesOf = (m: MeasuredRun): StageBreakdown | null => {
      if (sightings === undefined) return null;
      const times: MessageTimes[] = [];
      for (const [id, publishMs] of m.publishedAt) {
        const s = sightings.get(id);
        times.push({ publishMs, bridgeMs: s?.bridgeMs, processedMs: s?.processedMs, visibleMs: s?.visibleMs, rowMs: m.arrived.get(id) });
      }
      return stageBreakdown(times);
    };
    const runs = measured.map((m): SweepRun => ({
      rate: m.rate ?? null,
      endToEnd: { ...m.endToEnd, stages: stagesOf(m) },
      paced: m.paced,
      services: m.services,
      stageObserver: m.stageObserver,
      infrastructure: m.infrastructure,
      cpuMsPerMessageTotal: m.cpuMsPerMessageTotal,
    }));
    const last = runs[runs.length - 1] as SweepRun;
    const { endToEnd, services, stageObserver, infrastructure, cpuMsPerMessageTotal } = last;
    const { latency, lost } = endToEnd;

    const speedAfter = calibrate();
    log(`machine speed after the run: the fixed loop takes ${speedAfter.medianMs} ms`);

    // The services are stopped before the baselines so those get the machine to themselves.
    await platform.stop();
    platform = undefined;

    let mosquitto: BaselineResult | null = null;
    let kafkaProducer: BaselineResult | null = null;
    let postgresCopy: BaselineResult | null = null;
    if (options.baselines) {
      log(`baseline: Mosquitto QoS 1 publish → subscribe at ${config.BENCH_MOSQUITTO_URL}`);
      mosquitto = await mosquittoBaseline({
        url: config.BENCH_MOSQUITTO_URL,
        run,
        model,
        devices: options.devices,
        messages: options.messages,
        inFlight: options.inFlight,
        timeoutMs: 60_000,
        load: (settings) => (loadProcess as LoadProcess).run(settings),
      }).catch((err: unknown) => ({ error: (err as Error).message }));
      log(`  ${JSON.stringify(mosquitto)}`);
      log('baseline: kafka-producer-perf-test (ProducerPerformance), 200-byte records, acks=all');
      kafkaProducer = await kafkaProducerBaseline({
        brokers: config.KAFKA_BROKERS,
        libsDir: resolve(config.BENCH_KAFKA_LIBS),
        topic: `${topicPrefix}.producer-perf`,
        records: total,
        partitions: 6,
        timeoutMs: 300_000,
      }).catch((err: unknown) => ({ error: (err as Error).message }));
      log(`  ${JSON.stringify(kafkaProducer)}`);
      log('baseline: psql COPY into telemetry_raw');
      postgresCopy = await copyBaseline({ databaseUrl: db.url, rows: total, timeoutMs: 300_000, psql: config.BENCH_PSQL }).catch(
        (err: unknown) => ({ error: (err as Error).message }),
      );
      log(`  ${JSON.stringify(postgresCopy)}`);
    }

    const result: EndToEndResult = {
      kind: 'end-to-end',
      startedAt,
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
      options,
      method: benchMethod(options),
      endToEnd,
      services,
      stageObserver,
      infrastructure,
      cpuMsPerMessageTotal,
      logDir: options.keepLogs ? logDir : null,
      kafkaBrokerAgeS,
      machineSpeed: { before: speedBefore, after: speedAfter },
      paced: last.paced,
      sweep: sweep ? { runs, highestHeldRate: highestHeldRate(runs.map(sweepPoint)) } : null,
      baselines: { mosquitto, kafkaProducer, postgresCopy },
      ratios: {
        endToEndVsMosquitto: ratio(endToEnd.messagesPerSecond, mosquitto?.messagesPerSecond),
        endToEndVsKafkaProducer: ratio(endToEnd.messagesPerSecond, kafkaProducer?.messagesPerSecond),
        endToEndVsCopy: ratio(endToEnd.messagesPerSecond, postgresCopy?.messagesPerSecond),
      },
      goal: {
        messagesPerSecond: 20_000,
        p99Ms: 1_000,
        // Paced, the run's rate is the achieved one (rows over their own span, see PacedFigures);
        // unpaced, first PUBLISH → last row as always.
        met:
          (last.paced?.achievedPerSecond ?? endToEnd.messagesPerSecond) >= 20_000 &&
          (latency?.p99Ms ?? Infinity) < 1_000 &&
          lost === 0 &&
          endToEnd.duplicated === 0,
      },
    };
    const outDir = resolve(config.BENCH_RESULTS_DIR);
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `e2e-${startedAt.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    return { result, file };
  } finally {
    await observer?.abandon();
    await loadProcess?.close();
    await platform?.stop();
    await deleteTopics(config.KAFKA_BROKERS, topicPrefix, [registryTopic]).catch((err: unknown) =>
      log(`could not delete the benchmark topics: ${(err as Error).message}`),
    );
    await db?.drop().catch((err: unknown) => log(`could not drop the benchmark database: ${(err as Error).message}`));
    await deleteRedisKeys(config.REDIS_URL, [`${topicPrefix}:*`]).catch((err: unknown) =>
      log(`could not delete the benchmark's Redis keys: ${(err as Error).message}`),
    );
    if (options.keepLogs) {
      // Only the logs are worth keeping: the signing key and artifacts of a dropped database are not.
      for (const sub of ['keys', 'artifacts']) rmSync(join(dir, sub), { recursive: true, force: true });
      log(`service logs kept in ${logDir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Batches (Kafka transactions) the processor committed so far, from its Prometheus /metrics; null when unreadable. */
async function committedTransactions(url: string): Promise<number | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return null;
    return sumSamples(await response.text(), 'zenthos_worker_processing_time_seconds_count', { outcome: 'committed' });
  } catch {
    return null;
  }
}

/** Waits until `expected` rows were stamped, the count stops moving for 20 s, or `timeoutMs` passed. */
async function waitForRows(
  db: TemporaryDatabase,
  clock: ArrivalClock,
  expected: number,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let stillSince = Date.now();
  for (;;) {
    const n = await arrivalCount(db.pool, clock);
    if (n >= expected || Date.now() > deadline) return;
    if (n !== seen) {
      seen = n;
      stillSince = Date.now();
      log(`  rows ${n}/${expected}`);
    } else if (Date.now() - stillSince > 20_000) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

const listDir = (path: string): string[] => (existsSync(path) ? readdirSync(path) : []);

/** How `zenthos bench <stage>` would run that stage, from what is on disk. */
export function resolveStage(stage: StageName, root: string = projectRoot()): StagePlan {
  const dir = join(root, stagePackages[stage].dir);
  let benchScript: string | undefined;
  try {
    benchScript = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.bench;
  } catch {
    benchScript = undefined;
  }
  return planStage(stage, {
    benchScript,
    benchFiles: listDir(join(dir, 'bench')),
    compiledBenchFiles: listDir(join(dir, 'dist', 'bench')),
    exists: (p) => existsSync(join(dir, p)),
  });
}

/** Runs a stage benchmark of another package with its output on this terminal; resolves with its exit code. */
export async function runStageBench(stage: StageName, args: readonly string[], io: BenchIo): Promise<number> {
  const root = projectRoot();
  const plan = resolveStage(stage, root);
  if (plan.kind === 'none') {
    io.log(`zenthos bench ${stage}: ${plan.reason}`);
    return 2;
  }
  const [command, commandArgs] =
    plan.kind === 'npm-script'
      ? ['npm', ['run', '--silent', 'bench', '-w', plan.workspace, ...(args.length > 0 ? ['--', ...args] : [])]]
      : [process.execPath, [join(root, plan.file), ...args]];
  io.log(
    `zenthos bench ${stage}: ${command === 'npm' ? `npm run bench -w ${(plan as { workspace: string }).workspace}` : plan.kind === 'node' ? plan.file : ''}`,
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs as string[], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolvePromise(code ?? 1));
  });
}
