import { ZenthosError } from '@zenthos/core';
import { createKafkajs } from '@zenthos/kafka';
import {
  defaultPorts,
  planServices,
  startWaves,
  type PlatformNames,
  type PlatformPorts,
  type ServiceName,
  type ServiceSpec,
} from '../domain/services';
import { freePort, portInUse, runZenthos, startService, type ServiceProcess } from './service-process';

/** A running platform: every service as a child process. */
export interface Platform {
  readonly ports: PlatformPorts;
  readonly names: PlatformNames;
  readonly specs: readonly ServiceSpec[];
  readonly services: ReadonlyMap<ServiceName, ServiceProcess>;
  /** Stops the services, producers first so consumers can finish what was produced. */
  stop(): Promise<void>;
}

/** Options of {@link startPlatform}. */
export interface PlatformOptions {
  readonly logDir: string;
  /** Base environment of the children (KAFKA_BROKERS, AMQP_URL, REDIS_URL …). */
  readonly env: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  readonly progress?: (line: string) => void;
  /** Aborts the start-up (Ctrl-C): what was started is stopped again. */
  readonly signal?: AbortSignal;
}

const STOP_GRACE_MS = 15_000;

/**
 * Creates the topology's topics for the prefix (`zenthos topology apply`: Kafka auto-create is
 * off), then starts the services wave by wave and waits for each one's `/ready`. On any failure
 * the services already started are stopped again.
 */
/** A free port for every service of one platform instance (tests and benchmarks beside a running platform). */
export async function freePlatformPorts(): Promise<PlatformPorts> {
  const ports: Record<string, number> = {};
  for (const name of Object.keys(defaultPorts)) ports[name] = await freePort();
  return ports as unknown as PlatformPorts;
}

export async function startPlatform(ports: PlatformPorts, names: PlatformNames, options: PlatformOptions): Promise<Platform> {
  const specs = planServices(ports, names);
  const busy: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (await portInUse(port)) busy.push(`${name} ${port}`);
  }
  if (busy.length > 0) {
    throw new ZenthosError('ZEN_STACK_PORT_BUSY', `ports in use: ${busy.join(', ')} (is a Zenthos service already running?)`);
  }
  options.progress?.(`creating the Kafka topics of prefix ${names.topicPrefix} (zenthos topology apply)`);
  await runZenthos(['topology', 'apply'], { env: { ...options.env, STREAMS_TOPIC_PREFIX: names.topicPrefix, LOG_LEVEL: 'warn' } });

  const services = new Map<ServiceName, ServiceProcess>();
  const stopAll = async (): Promise<void> => {
    // Producers before consumers: the bridge stops taking messages, processors and sinks drain.
    const order: ServiceName[] = ['bridge', 'ota', 'processor-telemetry', 'processor-status', 'sink', 'rabbit', 'alerts', 'registry'];
    for (const group of [order.slice(0, 2), order.slice(2, 7), order.slice(7)]) {
      await Promise.all(group.map((n) => services.get(n)?.stop(STOP_GRACE_MS)));
    }
  };
  try {
    for (const wave of startWaves(specs)) {
      options.progress?.(`starting ${wave.map((s) => s.name).join(', ')}`);
      const started = wave.map((spec) => {
        const p = startService(spec, { logDir: options.logDir, env: options.env });
        services.set(spec.name, p);
        return p;
      });
      await Promise.all(started.map((p) => p.waitReady(options.readyTimeoutMs ?? 90_000, options.signal)));
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { ports, names, specs, services, stop: stopAll };
}

/**
 * Deletes the Kafka topics of a throw-away prefix (and the registry's topic) and the consumer
 * groups named after it (`<prefix>.processor.*`, `<prefix>-timescale-sink` …), for tests and
 * benchmarks.
 */
export async function deleteTopics(brokers: readonly string[], prefix: string, extra: readonly string[] = []): Promise<number> {
  const admin = createKafkajs({ brokers: [...brokers], clientId: 'zenthos-cleanup' }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) || extra.includes(t));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    // A group can be deleted only once its last member left; stopped services may take a moment.
    for (let attempt = 0; attempt < 10; attempt++) {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
      if (groups.length === 0) break;
      const failed = await admin.deleteGroups(groups).then(
        (results) => results.filter((r) => r.errorCode !== 0).length,
        () => groups.length,
      );
      if (failed === 0) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    return topics.length;
  } finally {
    await admin.disconnect();
  }
}

/** Records in a topic now (sum over partitions of high − low watermark); 0 when it does not exist. */
export async function topicRecordCount(brokers: readonly string[], topic: string): Promise<number> {
  const admin = createKafkajs({ brokers: [...brokers], clientId: 'zenthos-count' }).admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
