import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkajs, ensureTopics } from '@zenthos/kafka';
import { parseProducerPerformance } from '../domain/producer-perf';
import { summarizeLatencies, ratePerSecond, type LatencySummary } from '../domain/stats';
import { nowEpochMs, readMessageId, runLoad, startSubscriber, type LoadDevice, type LoadResult, type LoadSettings } from '@zenthos/testing';

/** One baseline's outcome: a rate, or why it could not be measured. */
export interface BaselineResult {
  readonly messagesPerSecond?: number;
  readonly messages?: number;
  readonly latency?: LatencySummary;
  readonly detail?: string;
  readonly error?: string;
}

/**
 * Mosquitto QoS 1 publish → subscribe with the benchmark's own load generator: the same devices,
 * messages and in-flight window, on a topic root of its own so nothing else on the shared broker
 * sees it. A QoS 1 subscriber (`startSubscriber` of @zenthos/testing, as lean as the generator)
 * counts every message; the rate is messages received over the time from the first PUBLISH to
 * the last delivery, the latency publish → delivery per message.
 */
export async function mosquittoBaseline(settings: {
  url: string;
  run: string;
  model: string;
  devices: number;
  messages: number;
  inFlight: number;
  timeoutMs: number;
  /** Runs the publishers (the benchmark's load process); in this process by default. */
  load?: (settings: LoadSettings) => Promise<LoadResult>;
}): Promise<BaselineResult> {
  const root = `zenthos-bench-${settings.run}`;
  const received = new Map<string, number>();
  let lastMs = 0;
  const subscriber = await startSubscriber({
    url: settings.url,
    clientId: `${root}-sub`,
    topicFilter: `${root}/#`,
    onMessage: (buf, start, end) => {
      const id = readMessageId(buf, start, end);
      if (id === undefined) return; // not ours
      lastMs = nowEpochMs();
      received.set(id, lastMs);
    },
  });
  try {
    const devices: LoadDevice[] = Array.from({ length: settings.devices }, (_, i) => ({
      id: `${root}-${i + 1}`,
      token: '',
      topic: `${root}/${settings.model}/${i + 1}/telemetry`,
    }));
    const load = await (settings.load ?? runLoad)({
      url: settings.url,
      model: settings.model,
      devices,
      messagesPerDevice: settings.messages,
      inFlight: settings.inFlight,
    });
    const deadline = Date.now() + settings.timeoutMs;
    while (received.size < load.acknowledged && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const latencies: number[] = [];
    for (const [id, t] of received) {
      const sent = load.publishedAt.get(id);
      if (sent !== undefined) latencies.push(t - sent);
    }
    return {
      messages: received.size,
      messagesPerSecond: ratePerSecond(received.size, load.firstPublishMs, lastMs),
      ...(latencies.length > 0 ? { latency: summarizeLatencies(latencies) as LatencySummary } : {}),
      detail: `${settings.devices} publishers × ${settings.messages} at QoS 1 → 1 QoS 1 subscriber on ${settings.url}`,
    };
  } finally {
    await subscriber.close();
  }
}

/** Runs a command, collecting its output; rejects on a non-zero exit or after `timeoutMs`. */
function run(command: string, args: readonly string[], options: { input?: string | Buffer; timeoutMs: number; env?: NodeJS.ProcessEnv }) {
  return new Promise<{ stdout: string; stderr: string; ms: number }>((resolve, reject) => {
    const started = nowEpochMs();
    const child = spawn(command, args, { env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const ms = nowEpochMs() - started;
      if (code === 0) resolve({ stdout, stderr, ms });
      else reject(new Error(`${command} exited with ${code}: ${(stderr || stdout).trim().split('\n').slice(-3).join(' | ')}`));
    });
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/**
 * Kafka's own producer benchmark (`kafka-producer-perf-test`, the ProducerPerformance class of
 * kafka-tools) with 200-byte records, unthrottled, acks=all, into a throw-away topic with the
 * partitions of the raw topics.
 */
export async function kafkaProducerBaseline(settings: {
  brokers: readonly string[];
  libsDir: string;
  topic: string;
  records: number;
  partitions: number;
  timeoutMs: number;
}): Promise<BaselineResult> {
  if (!existsSync(settings.libsDir)) return { error: `no Kafka jars in ${settings.libsDir} (zenthos stack up downloads them)` };
  const admin = createKafkajs({ brokers: [...settings.brokers], clientId: 'zenthos-bench' }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic: settings.topic, partitions: settings.partitions }]);
    const { stdout } = await run(
      'java',
      [
        '-cp',
        join(settings.libsDir, '*'),
        'org.apache.kafka.tools.ProducerPerformance',
        '--topic',
        settings.topic,
        '--num-records',
        String(settings.records),
        '--record-size',
        '200',
        '--throughput',
        '-1',
        '--producer-props',
        `bootstrap.servers=${settings.brokers.join(',')}`,
        'acks=all',
      ],
      { timeoutMs: settings.timeoutMs },
    );
    const parsed = parseProducerPerformance(stdout);
    if (!parsed) return { error: `could not read ProducerPerformance output: ${stdout.slice(-300)}` };
    return {
      messages: parsed.records,
      messagesPerSecond: parsed.perSecond,
      detail: `ProducerPerformance --record-size 200 --throughput -1 acks=all, ${settings.partitions} partitions; avg ${parsed.avgMs} ms${
        parsed.p99Ms !== undefined ? `, p50 ${parsed.p50Ms} ms, p99 ${parsed.p99Ms} ms` : ''
      }`,
    };
  } finally {
    await admin.deleteTopics({ topics: [settings.topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/**
 * `psql` COPY of telemetry rows (the shape the sink writes, with the same unique key) into a copy
 * of telemetry_raw in the benchmark's database: the rate of Postgres itself, without Kafka.
 */
export async function copyBaseline(settings: {
  databaseUrl: string;
  rows: number;
  timeoutMs: number;
  psql?: string;
}): Promise<BaselineResult> {
  const lines: string[] = [];
  const now = Date.now();
  for (let i = 0; i < settings.rows; i++) {
    const id = globalThis.crypto.randomUUID();
    const device = `bench-${i % 50}`;
    const payload = JSON.stringify({ message_id: id, device_id: device, sensors: { temperature: 21.5, humidity: 50.2 } }).replace(
      /"/g,
      '""',
    );
    const t = new Date(now - (settings.rows - i)).toISOString();
    lines.push(`${t},${id},${device},esp32-s3,"${payload}",21.5,50.2,${t}`);
  }
  const csv = `${lines.join('\n')}\n`;
  const psql = settings.psql ?? 'psql';
  await run(
    psql,
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      settings.databaseUrl,
      '-c',
      'CREATE TABLE bench_copy (LIKE telemetry_raw INCLUDING DEFAULTS INCLUDING INDEXES)',
    ],
    {
      timeoutMs: 30_000,
    },
  );
  try {
    const { ms } = await run(
      psql,
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        settings.databaseUrl,
        '-c',
        '\\copy bench_copy (time, message_id, device_id, device_model, payload, temperature, humidity, ingest_ts) FROM STDIN WITH (FORMAT csv)',
      ],
      { input: csv, timeoutMs: settings.timeoutMs },
    );
    return {
      messages: settings.rows,
      messagesPerSecond: Math.round((settings.rows * 1000 * 10) / ms) / 10,
      detail: `psql \\copy of ${settings.rows} telemetry rows (${Math.round(csv.length / 1024)} KiB CSV) into a copy of telemetry_raw with its unique index; wall time of psql, start-up included`,
    };
  } finally {
    await run(psql, ['-X', '-q', settings.databaseUrl, '-c', 'DROP TABLE IF EXISTS bench_copy'], { timeoutMs: 30_000 }).catch(
      () => undefined,
    );
  }
}
