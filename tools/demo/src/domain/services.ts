/** The long-running services of the platform, in start order. */
export const serviceNames = ['registry', 'bridge', 'processor-telemetry', 'processor-status', 'sink', 'rabbit', 'alerts', 'ota'] as const;

/** One of {@link serviceNames}. */
export type ServiceName = (typeof serviceNames)[number];

/** How to run one service: `zenthos <args>` with extra environment, ready when `readyUrl` says 200. */
export interface ServiceSpec {
  readonly name: ServiceName;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly readyUrl: string;
  /** Services this one needs ready first. */
  readonly after: readonly ServiceName[];
  /** CPU priority it runs at (nice, 0 = normal, 19 = lowest); see {@link BRIDGE_NICE}. */
  readonly nice?: number;
}

/**
 * The bridge's CPU priority when it shares the machine with the stages after it. Each service runs
 * in a session of its own, and Linux shares a full CPU evenly between sessions (autogroups); the
 * bridge would then take PUBLISHes faster than the processor and sink drain them, and the backlog
 * in Kafka shows as publish → row latency. At nice 5 the drain stages get the CPU first and a
 * burst waits at the devices instead. `zenthos bench --devices 50 --messages 1000`, alternating:
 * p99 publish → row 261-350 ms at 23,200-24,300 msg/s, against 675-1,240 ms at 20,000-25,400
 * with normal priority (tools/bench/README.md, "CPU priority of the bridge").
 */
export const BRIDGE_NICE = 5;

/** Ports of one platform instance: the defaults of DESIGN.md, or free ports in tests. */
export interface PlatformPorts {
  readonly registry: number;
  readonly mqtt: number;
  readonly bridgeOps: number;
  readonly processorTelemetryOps: number;
  readonly processorStatusOps: number;
  readonly sinkOps: number;
  readonly rabbitOps: number;
  readonly alertsOps: number;
  readonly ota: number;
}

/** The defaults each service's config.ts uses, with a distinct ops port for the second processor. */
export const defaultPorts: PlatformPorts = {
  registry: 8081,
  mqtt: 1883,
  bridgeOps: 9464,
  processorTelemetryOps: 9470,
  processorStatusOps: 9474,
  sinkOps: 9471,
  rabbitOps: 9472,
  alertsOps: 9473,
  ota: 8080,
};

/**
 * Names that keep one platform instance apart from others on the same Kafka, RabbitMQ, Redis and
 * Postgres: the topic prefix (every service's `*_TOPIC_PREFIX`), consumer groups, RabbitMQ
 * names, the OTA API's Redis prefix, the schema registry's topic, and the database.
 */
export interface PlatformNames {
  /** Kafka topic prefix; `zenthos` in production. */
  readonly topicPrefix: string;
  /** Prefix of RabbitMQ exchange and queue names; empty in production. */
  readonly rabbitPrefix: string;
  readonly redisPrefix: string;
  readonly registryTopic: string;
  readonly databaseUrl: string;
  /** Release artifacts and signing keys. */
  readonly storageDir: string;
  readonly keysDir: string;
  readonly logLevel: string;
  /** Services not started (e.g. `alerts`, which consumes sensor_data, in a test that reads it). */
  readonly without?: readonly ServiceName[];
}

const ready = (port: number): string => `http://127.0.0.1:${port}/ready`;

/**
 * The service plan of one platform instance. Every variable set here is one the service reads in
 * its own config.ts; anything else comes from the caller's environment (KAFKA_BROKERS, AMQP_URL,
 * REDIS_URL …).
 */
export function planServices(ports: PlatformPorts, names: PlatformNames): ServiceSpec[] {
  const registryUrl = `http://127.0.0.1:${ports.registry}`;
  const common = {
    LOG_LEVEL: names.logLevel,
    SCHEMA_REGISTRY_URL: registryUrl,
    DATABASE_URL: names.databaseUrl,
    ZENTHOS_KEYS_DIR: names.keysDir,
  };
  const processor = (pipeline: 'telemetry' | 'status', opsPort: number): ServiceSpec => ({
    name: `processor-${pipeline}`,
    args: ['run', 'processor', '--name', pipeline],
    env: { ...common, STREAMS_TOPIC_PREFIX: names.topicPrefix, PROCESSOR_OPS_PORT: String(opsPort) },
    readyUrl: ready(opsPort),
    after: ['registry'],
  });
  const all: ServiceSpec[] = [
    {
      name: 'registry',
      args: ['run', 'registry'],
      env: {
        LOG_LEVEL: names.logLevel,
        SCHEMA_REGISTRY_PORT: String(ports.registry),
        SCHEMA_REGISTRY_HOST: '127.0.0.1',
        SCHEMA_REGISTRY_TOPIC: names.registryTopic,
      },
      readyUrl: ready(ports.registry),
      after: [],
    },
    {
      name: 'bridge',
      args: ['run', 'bridge'],
      env: {
        ...common,
        BRIDGE_MQTT_PORT: String(ports.mqtt),
        BRIDGE_MQTT_HOST: '127.0.0.1',
        BRIDGE_OPS_PORT: String(ports.bridgeOps),
        BRIDGE_TOPIC_PREFIX: names.topicPrefix,
      },
      readyUrl: ready(ports.bridgeOps),
      after: ['registry'],
      nice: BRIDGE_NICE,
    },
    processor('telemetry', ports.processorTelemetryOps),
    processor('status', ports.processorStatusOps),
    {
      name: 'sink',
      args: ['run', 'sink'],
      env: {
        ...common,
        SINK_TOPIC_PREFIX: names.topicPrefix,
        SINK_GROUP_ID: `${names.topicPrefix}-timescale-sink`,
        SINK_OPS_PORT: String(ports.sinkOps),
      },
      readyUrl: ready(ports.sinkOps),
      after: ['registry'],
    },
    {
      name: 'rabbit',
      args: ['run', 'rabbit'],
      env: {
        ...common,
        RABBIT_TOPIC_PREFIX: names.topicPrefix,
        RABBIT_GROUP_ID: `${names.topicPrefix}-rabbitmq-bridge`,
        RABBIT_NAME_PREFIX: names.rabbitPrefix,
        RABBIT_OPS_PORT: String(ports.rabbitOps),
      },
      readyUrl: ready(ports.rabbitOps),
      after: ['registry'],
    },
    {
      name: 'alerts',
      args: ['run', 'alerts'],
      env: { ...common, RABBIT_NAME_PREFIX: names.rabbitPrefix, ALERTS_OPS_PORT: String(ports.alertsOps) },
      readyUrl: ready(ports.alertsOps),
      // The alerts worker consumes sensor_data, which the RabbitMQ bridge declares.
      after: ['rabbit'],
    },
    {
      name: 'ota',
      args: ['run', 'ota'],
      env: {
        ...common,
        OTA_PORT: String(ports.ota),
        OTA_HOST: '127.0.0.1',
        OTA_PUBLIC_URL: `http://127.0.0.1:${ports.ota}`,
        OTA_REDIS_PREFIX: names.redisPrefix,
        OTA_STORAGE_DIR: names.storageDir,
        // The instance's own topics and group: reports from its status processor, notifications to its bridge.
        OTA_STATUS_TOPIC: `${names.topicPrefix}.status.enriched`,
        OTA_STATUS_GROUP_ID: `${names.topicPrefix}-ota-status`,
        OTA_NOTIFICATIONS_TOPIC: `${names.topicPrefix}.ota.notifications`,
      },
      readyUrl: ready(ports.ota),
      // Release notifications and status reports are Avro records through the registry.
      after: ['registry'],
    },
  ];
  const without = new Set(names.without ?? []);
  return all.filter((s) => !without.has(s.name));
}

/**
 * Start waves: each wave holds the services whose `after` are all in earlier waves, so
 * independent services start together. Services whose dependency is left out start anyway.
 */
export function startWaves(specs: readonly ServiceSpec[]): ServiceSpec[][] {
  const present = new Set(specs.map((s) => s.name));
  const placed = new Set<ServiceName>();
  const waves: ServiceSpec[][] = [];
  let rest = [...specs];
  while (rest.length > 0) {
    const wave = rest.filter((s) => s.after.every((a) => placed.has(a) || !present.has(a)));
    if (wave.length === 0) throw new Error(`service dependencies form a cycle: ${rest.map((s) => s.name).join(', ')}`);
    for (const s of wave) placed.add(s.name);
    waves.push(wave);
    rest = rest.filter((s) => !wave.includes(s));
  }
  return waves;
}
