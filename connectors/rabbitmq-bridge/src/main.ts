import { createLogger, createOpsServer, retry } from '@zenthos/core';
import { createPool, migrate, pingDatabase } from '@zenthos/db';
import { createKafkajs, createRdkafkaConsumer, ensureTopics } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import { initTelemetry, metricNames, metricOptions } from '@zenthos/telemetry';
import { loadAlertsConfig, loadBridgeConfig } from './config';
import { bridgedKinds, enrichedTopicOf } from './domain/envelope';
import { rabbitTopology } from './domain/topology';
import { createBridgeRunner } from './adapters/bridge-runner';
import { createAlertsStore } from './adapters/alerts-store';
import { startAlertsWorker } from './adapters/alerts-worker';

type Env = NodeJS.ProcessEnv | Record<string, string | undefined>;

/** A started service. */
export interface RunningService {
  readonly opsPort: number;
  close(): Promise<void>;
}

/**
 * `zenthos run rabbit`: republishes the enriched Kafka topics to RabbitMQ as spec §7 envelopes,
 * committing offsets after the publisher confirms. /health, /ready, /metrics on RABBIT_OPS_PORT.
 */
export async function startBridge(env: Env = process.env): Promise<RunningService> {
  const config = loadBridgeConfig(env);
  const telemetry = initTelemetry({ serviceName: 'rabbitmq-bridge', env });
  const logger = createLogger({
    service: 'zenthos-rabbitmq-bridge',
    level: config.LOG_LEVEL,
    mixin: telemetry.logMixin,
    destination: telemetry.logDestination,
  });
  const topics = bridgedKinds.map((k) => enrichedTopicOf(config.RABBIT_TOPIC_PREFIX, k));
  const admin = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-rabbitmq-bridge-admin' }).admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      topics.map((topic) => ({ topic })),
    );
  } finally {
    await admin.disconnect();
  }
  const consumer = createRdkafkaConsumer({
    brokers: config.KAFKA_BROKERS,
    clientId: 'zenthos-rabbitmq-bridge',
    groupId: config.RABBIT_GROUP_ID,
  });
  await consumer.connect();
  await consumer.subscribe(topics);
  const { meter } = telemetry;
  const runner = createBridgeRunner({
    consumer,
    serde: createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }),
    amqpUrl: config.AMQP_URL,
    topology: rabbitTopology(config.RABBIT_NAME_PREFIX, config.RABBIT_DELIVERY_LIMIT),
    topicPrefix: config.RABBIT_TOPIC_PREFIX,
    batchSize: config.RABBIT_BATCH_SIZE,
    lingerMs: config.RABBIT_LINGER_MS,
    maxBackoffMs: config.RABBIT_MAX_BACKOFF_MS,
    instruments: {
      published: meter.createCounter(metricNames.rabbitPublished, metricOptions.rabbitPublished),
      skipped: meter.createCounter('zenthos.rabbit.records_skipped', {
        unit: '{record}',
        description: 'Kafka records not bridged (undecodable)',
      }),
      reconnects: meter.createCounter('zenthos.rabbit.reconnects', { unit: '{connection}', description: 'RabbitMQ connections reopened' }),
      confirmLatencyMs: meter.createHistogram('zenthos.rabbit.confirm_latency_ms', {
        unit: 'ms',
        description: 'Publish of a batch to its last confirm',
      }),
    },
    logger,
  });
  const ops = await createOpsServer({
    port: config.RABBIT_OPS_PORT,
    checks: {
      rabbitmq: async () => {
        if (!runner.healthy()) throw new Error('paused: waiting for RabbitMQ or the schema registry');
      },
    },
    metrics: telemetry.metricsText,
  });
  await runner.ready;
  logger.info({ topics, opsPort: ops.port }, 'rabbitmq bridge started');
  let closing: Promise<void> | undefined;
  return {
    opsPort: ops.port,
    close: () =>
      (closing ??= (async () => {
        await runner.stop();
        await Promise.allSettled([consumer.disconnect(), ops.close()]);
        await telemetry.shutdown();
      })()),
  };
}

/**
 * `zenthos run alerts`: evaluates threshold rules on `sensor_data`, writes the alerts table and
 * publishes alert envelopes. /health, /ready, /metrics on ALERTS_OPS_PORT.
 */
export async function startAlerts(env: Env = process.env): Promise<RunningService> {
  const config = loadAlertsConfig(env);
  const telemetry = initTelemetry({ serviceName: 'alerts', env });
  const logger = createLogger({
    service: 'zenthos-alerts',
    level: config.LOG_LEVEL,
    mixin: telemetry.logMixin,
    destination: telemetry.logDestination,
  });
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'zenthos-alerts' });
  // Postgres not up yet: wait for it rather than exit and be restarted in a loop.
  await retry(() => pingDatabase(pool), {
    attempts: Number.POSITIVE_INFINITY,
    maxDelayMs: 10_000,
    onRetry: (err, attempt, delayMs) => logger.warn({ attempt, delayMs, err: (err as Error).message }, 'waiting for Postgres'),
  });
  await migrate(pool);
  const { meter } = telemetry;
  const worker = startAlertsWorker({
    amqpUrl: config.AMQP_URL,
    topology: rabbitTopology(config.RABBIT_NAME_PREFIX, config.RABBIT_DELIVERY_LIMIT),
    store: createAlertsStore(pool),
    prefetch: config.ALERTS_PREFETCH,
    rulesRefreshMs: config.ALERTS_RULES_REFRESH_MS,
    maxBackoffMs: 10_000,
    instruments: {
      processingTimeMs: meter.createHistogram(metricNames.workerProcessingTimeMs, metricOptions.workerProcessingTimeMs),
      alertsFired: meter.createCounter('zenthos.alerts.fired', { unit: '{alert}', description: 'Alerts written and published' }),
    },
    logger,
  });
  const ops = await createOpsServer({
    port: config.ALERTS_OPS_PORT,
    checks: {
      postgres: () => pingDatabase(pool),
      rabbitmq: async () => {
        if (!worker.healthy()) throw new Error('not consuming: RabbitMQ unavailable');
      },
    },
    metrics: telemetry.metricsText,
  });
  logger.info({ opsPort: ops.port }, 'alerts worker started');
  let closing: Promise<void> | undefined;
  return {
    opsPort: ops.port,
    close: () =>
      (closing ??= (async () => {
        await worker.stop();
        await ops.close();
        await pool.end();
        await telemetry.shutdown();
      })()),
  };
}

/** Runs a service in the foreground until SIGINT/SIGTERM. */
export async function runUntilSignal(start: () => Promise<RunningService>): Promise<void> {
  const service = await start();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void service.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
