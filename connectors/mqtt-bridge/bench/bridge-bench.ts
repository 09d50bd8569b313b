// Benchmark of the MQTT → Kafka bridge (issue: "npm run bench -- bridge").
//
// N simulated devices publish telemetry at QoS 1, each keeping `window` publishes in flight,
// to the bridge running in a child process (Aedes, token auth, validation, Avro, Kafka acks=all):
// acknowledged messages per second, publish→PUBACK p50/p99, the bridge's CPU and RSS. Then the
// same load generator against a private Mosquitto with one QoS 1 subscriber: its publish→
// subscribe rate, and the ratio. The load generator is the end-to-end benchmark's (`runLoad` of
// @zenthos/testing: MQTT over node:net, the firmware's telemetry payloads) in a process of its
// own, so its CPU per message is measured alone and stays small next to the bridge's. Needs the local stack (Kafka, Postgres); the schema
// registry runs in-process on a private state topic.
//
//   npm run bench -w @zenthos/mqtt-bridge -- --clients 20 --messages 500 --window 10
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import { createKafkajs } from '@zenthos/kafka';
import { startRegistry } from '@zenthos/schemas';
import { startLoadProcess, startSubscriber, type LoadDevice, type LoadProcess } from '@zenthos/testing';
import { messageKinds } from '../src/domain/topics';

/** Options of {@link runBridgeBench}. */
export interface BridgeBenchOptions {
  readonly clients: number;
  readonly messages: number;
  readonly window: number;
  readonly kafkaBrokers: string;
  readonly databaseUrl: string;
}

/** Figures of one system under the same load. */
export interface LoadFigures {
  readonly messages: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuSeconds: number;
  readonly cpuPercent: number;
  /** Process CPU time per message: comparable even when the machine is shared and busy. */
  readonly cpuUsPerMessage: number;
  readonly rssPeakMiB: number;
  /** CPU time per message of the load generator's process (the publishers). */
  readonly generatorCpuUsPerMessage: number;
  /**
   * CPU time per message of this process: the in-process schema registry and, in the Mosquitto
   * run, the QoS 1 subscriber.
   */
  readonly benchCpuUsPerMessage: number;
  /**
   * CPU time per message of the local Kafka broker during the load (found by its `kafka.Kafka`
   * command line; NaN when it runs elsewhere). It shares the machine with the bridge and the
   * generator, so it counts in the end-to-end rate.
   */
  readonly kafkaCpuUsPerMessage: number;
  /** The target's CPU time per message by thread group (main JavaScript thread, librdkafka, the rest). */
  readonly threadCpuUsPerMessage: { readonly main: number; readonly librdkafka: number; readonly other: number };
}

/** Result of {@link runBridgeBench}. */
export interface BridgeBenchResult {
  readonly options: BridgeBenchOptions;
  readonly bridge: LoadFigures;
  readonly mosquitto: LoadFigures & { readonly received: number };
  /** Bridge acks/s over Mosquitto publish→subscribe messages/s. */
  readonly ratio: number;
  /** 1-minute load average of the machine when the run started, and its CPU count. */
  readonly loadAverage: number;
  readonly cpus: number;
}

const TICKS_PER_SECOND = 100;

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
const cpuSecondsOf = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};
/**
 * utime + stime of a process's threads in three groups (/proc/<pid>/task/<tid>/stat): the
 * JavaScript main thread (tid = pid), librdkafka's threads (named `rdk:…`) and the rest (V8 GC
 * and compiler, libuv pool): where a change moved the cost.
 */
const threadCpuSecondsOf = (pid: number): { main: number; librdkafka: number; other: number } => {
  const sums = { main: 0, librdkafka: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    if (Number(tid) === pid) sums.main += seconds;
    else if (name.startsWith('rdk:')) sums.librdkafka += seconds;
    else sums.other += seconds;
  }
  return sums;
};
/** Peak resident set size (VmHWM) in MiB. */
const rssPeakMiBOf = (pid: number): number => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

/** The pid of a Kafka broker running on this machine (`kafka.Kafka` main class), if any. */
const localKafkaPid = (): number | undefined => {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes('kafka.Kafka')) return Number(entry);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return undefined;
};

/** CPU seconds of the processes a load is measured on, read before and after it. */
interface CpuMarks {
  readonly target: number;
  readonly generator: number;
  readonly bench: number;
  readonly kafka: number;
  readonly threads: ReturnType<typeof threadCpuSecondsOf>;
}

const cpuMarks = (pid: number, kafkaPid: number | undefined, generatorPid: number): CpuMarks => {
  const own = process.cpuUsage();
  return {
    target: cpuSecondsOf(pid),
    threads: threadCpuSecondsOf(pid),
    generator: cpuSecondsOf(generatorPid),
    bench: (own.user + own.system) / 1e6,
    kafka: kafkaPid === undefined ? Number.NaN : cpuSecondsOf(kafkaPid),
  };
};

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

const model = 'esp32-s3';

/** Every device sends `messages` QoS 1 publishes, `window` at a time; returns each publish→PUBACK latency. */
async function load(
  generator: LoadProcess,
  url: string,
  devices: readonly LoadDevice[],
  messages: number,
  window: number,
): Promise<{ latencies: number[]; seconds: number }> {
  const result = await generator.run({ url, model, devices, messagesPerDevice: messages, inFlight: window, timeoutMs: 300_000 });
  if (result.errors > 0) throw new Error(`${result.errors} publishes failed: ${result.firstError ?? 'unknown'}`);
  return { latencies: [...result.ackLatenciesMs], seconds: (result.lastAckMs - result.firstPublishMs) / 1000 };
}

const figures = (
  load: { latencies: number[]; seconds: number },
  pid: number,
  kafkaPid: number | undefined,
  generatorPid: number,
  before: CpuMarks,
): LoadFigures => {
  const sorted = [...load.latencies].sort((a, b) => a - b);
  const after = cpuMarks(pid, kafkaPid, generatorPid);
  const cpuSeconds = after.target - before.target;
  return {
    messages: sorted.length,
    seconds: load.seconds,
    perSecond: sorted.length / load.seconds,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    cpuSeconds,
    cpuPercent: (100 * cpuSeconds) / load.seconds,
    cpuUsPerMessage: (cpuSeconds * 1e6) / sorted.length,
    rssPeakMiB: rssPeakMiBOf(pid),
    generatorCpuUsPerMessage: ((after.generator - before.generator) * 1e6) / sorted.length,
    benchCpuUsPerMessage: ((after.bench - before.bench) * 1e6) / sorted.length,
    kafkaCpuUsPerMessage: ((after.kafka - before.kafka) * 1e6) / sorted.length,
    threadCpuUsPerMessage: {
      main: ((after.threads.main - before.threads.main) * 1e6) / sorted.length,
      librdkafka: ((after.threads.librdkafka - before.threads.librdkafka) * 1e6) / sorted.length,
      other: ((after.threads.other - before.threads.other) * 1e6) / sorted.length,
    },
  };
};

const waitForLine = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`process exited with ${code}: ${err.slice(-2000)}`)));
  });

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });

/** Runs the bridge benchmark and the Mosquitto baseline under the same load. */
export async function runBridgeBench(options: BridgeBenchOptions): Promise<BridgeBenchResult> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const loadAverage = loadavg()[0] ?? Number.NaN;
  const kafkaPid = localKafkaPid();
  const brokers = options.kafkaBrokers.split(',');
  const registry = await startRegistry({ brokers, port: 0, host: '127.0.0.1', topic: `_schemas-${prefix}`, logLevel: 'silent' });
  const db = await createTemporaryDatabase(options.databaseUrl);
  const children: ChildProcess[] = [];
  let generator: LoadProcess | undefined;
  try {
    generator = await startLoadProcess();
    const generatorPid = generator.pid;
    const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const devices = createDeviceRegistryFromConfig(loadDevicesConfig({ DATABASE_URL: db.url, DEVICE_TOKEN_PRIVATE_KEY: pem }), db.pool);
    const fleet = await Promise.all(
      Array.from({ length: options.clients }, async (_, i) => {
        const id = `${prefix}-${i}`;
        return { id, token: (await devices.registerDevice({ id, model })).token };
      }),
    );

    // --- the bridge, alone in a child process ------------------------------------------------
    const bridge = spawn(process.execPath, [join(__dirname, 'bridge-process.js')], {
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        DEVICE_TOKEN_PRIVATE_KEY: pem,
        KAFKA_BROKERS: options.kafkaBrokers,
        SCHEMA_REGISTRY_URL: registry.url,
        BRIDGE_TOPIC_PREFIX: prefix,
        BRIDGE_MQTT_HOST: '127.0.0.1',
        BRIDGE_MQTT_PORT: '0',
        BRIDGE_OPS_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(bridge);
    const { port } = JSON.parse(await waitForLine(bridge)) as { port: number };
    const bridgeUrl = `mqtt://127.0.0.1:${port}`;
    const fleetDevices: LoadDevice[] = fleet.map((d) => ({ id: d.id, token: d.token, topic: `zenthos/${model}/${d.id}/telemetry` }));
    // Warm-up: registry ids, Kafka connections, JIT.
    await load(generator, bridgeUrl, fleetDevices, 20, 2);
    const bridgeCpu = cpuMarks(bridge.pid as number, kafkaPid, generatorPid);
    const bridgeLoad = await load(generator, bridgeUrl, fleetDevices, options.messages, options.window);
    const bridgeFigures = figures(bridgeLoad, bridge.pid as number, kafkaPid, generatorPid, bridgeCpu);
    await stop(bridge);

    // --- Mosquitto baseline: same generator, one QoS 1 subscriber -----------------------------
    const mqttPort = await freePort();
    const mosquitto = spawn('mosquitto', ['-p', String(mqttPort)], { stdio: 'ignore' });
    children.push(mosquitto);
    const mosquittoUrl = `mqtt://127.0.0.1:${mqttPort}`;
    let received = 0;
    let lastReceived = process.hrtime.bigint();
    const subscriber = await (async () => {
      for (let i = 0; ; i++) {
        try {
          // The load generator's lean counterpart: no client library's work per message in this process.
          return await startSubscriber({
            url: mosquittoUrl,
            clientId: `${prefix}-sub`,
            topicFilter: `${prefix}/#`,
            onMessage: () => {
              received++;
              lastReceived = process.hrtime.bigint();
            },
          });
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    const plainDevices: LoadDevice[] = fleet.map((_, i) => ({
      id: `${prefix}-pub-${i}`,
      token: '',
      topic: `${prefix}/${model}/${i}/telemetry`,
    }));
    await load(generator, mosquittoUrl, plainDevices, 20, 2);
    const total = options.clients * options.messages;
    const base = received;
    const mosquittoCpu = cpuMarks(mosquitto.pid as number, kafkaPid, generatorPid);
    const started = process.hrtime.bigint();
    const mosquittoLoad = await load(generator, mosquittoUrl, plainDevices, options.messages, options.window);
    for (let i = 0; i < 300 && received - base < total; i++) await new Promise((r) => setTimeout(r, 100));
    const subSeconds = Number(lastReceived - started) / 1e9;
    const mosquittoFigures = figures(mosquittoLoad, mosquitto.pid as number, kafkaPid, generatorPid, mosquittoCpu);
    await subscriber.close();
    await stop(mosquitto);
    const pubSubRate = (received - base) / subSeconds;
    return {
      options,
      bridge: bridgeFigures,
      mosquitto: { ...mosquittoFigures, received: received - base, perSecond: pubSubRate },
      ratio: bridgeFigures.perSecond / pubSubRate,
      loadAverage,
      cpus: cpus().length,
    };
  } finally {
    await Promise.all(children.map(stop));
    await generator?.close();
    const admin = createKafkajs({ brokers, clientId: `${prefix}-admin` }).admin();
    await admin.connect();
    await admin
      .deleteTopics({
        // The OTA relay of the bridge creates <prefix>.ota.notifications too.
        topics: [...messageKinds.map((k) => `${prefix}.${k}.raw`), `${prefix}.dlq`, `${prefix}.ota.notifications`, `_schemas-${prefix}`],
      })
      .catch(() => undefined);
    await admin.disconnect();
    await registry.stop();
    await db.drop();
  }
}

const row = (name: string, f: LoadFigures): string =>
  `${name.padEnd(26)} ${f.perSecond.toFixed(0).padStart(8)} msg/s  p50 ${f.p50Ms.toFixed(1).padStart(6)} ms  p99 ${f.p99Ms.toFixed(1).padStart(7)} ms  ` +
  `CPU ${f.cpuPercent.toFixed(0).padStart(4)}% (${f.cpuUsPerMessage.toFixed(0)} µs/msg)  RSS peak ${f.rssPeakMiB.toFixed(0)} MiB  ` +
  `generator ${f.generatorCpuUsPerMessage.toFixed(0)} µs/msg  bench process ${f.benchCpuUsPerMessage.toFixed(0)} µs/msg` +
  (Number.isNaN(f.kafkaCpuUsPerMessage) ? '' : `  Kafka broker ${f.kafkaCpuUsPerMessage.toFixed(0)} µs/msg`);

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '20' },
      messages: { type: 'string', default: '500' },
      window: { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  void runBridgeBench({
    clients: Number(values.clients),
    messages: Number(values.messages),
    window: Number(values.window),
    kafkaBrokers: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    databaseUrl: process.env.DATABASE_URL ?? 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos',
  }).then(
    (r) => {
      if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.stdout.write(
        [
          `bridge benchmark: ${r.options.clients} clients × ${r.options.messages} QoS 1 publishes, window ${r.options.window} (load average ${r.loadAverage.toFixed(1)} on ${r.cpus} CPUs)`,
          row('bridge (acked by Kafka)', r.bridge),
          `  bridge threads: main ${r.bridge.threadCpuUsPerMessage.main.toFixed(0)} µs/msg, librdkafka ${r.bridge.threadCpuUsPerMessage.librdkafka.toFixed(0)} µs/msg, other ${r.bridge.threadCpuUsPerMessage.other.toFixed(0)} µs/msg`,
          row('mosquitto (pub→sub)', r.mosquitto),
          `ratio bridge / mosquitto: ${r.ratio.toFixed(2)}`,
          '',
        ].join('\n'),
      );
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
