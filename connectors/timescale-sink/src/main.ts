import { createLogger, createOpsServer, retry } from '@zenthos/core';
import { createPool, migrate, pingDatabase } from '@zenthos/db';
import { createKafkajs, createRdkafkaConsumer, createRdkafkaProducer, ensureTopics } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import { initTelemetry } from '@zenthos/telemetry';
import { loadSinkConfig } from './config';
import { enrichedTopic, recordKinds } from './domain/records';
import { tableSpecs, tablesOf } from './domain/rows';
import { createSinkInstruments } from './adapters/instruments';
import { createPostgresWriter } from './adapters/postgres-writer';
import { createSinkRunner } from './adapters/sink-runner';

/** A started sink. */
export interface RunningSink {
  readonly opsPort: number;
  /** Stops consuming after the batch in hand, then closes every connection. */
  close(): Promise<void>;
}

const MAINTENANCE_INTERVAL_MS = 3_600_000;

/**
 * `zenthos run sink`: migrates the database, then consumes the enriched topics into Postgres /
 * TimescaleDB until SIGINT or SIGTERM. Serves /health, /ready and /metrics on SINK_OPS_PORT.
 */
export async function startSink(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Promise<RunningSink> {
  const config = loadSinkConfig(env);
  const telemetry = initTelemetry({ serviceName: 'timescale-sink', env });
  const log = createLogger({
    service: 'zenthos-sink',
    level: config.LOG_LEVEL,
    mixin: telemetry.logMixin,
    destination: telemetry.logDestination,
  });
  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: 'zenthos-sink' });
  // Postgres not up yet (a stack starting, a failover): wait for it rather than exit and be
  // restarted in a loop.
  await retry(() => pingDatabase(pool), {
    attempts: Number.POSITIVE_INFINITY,
    maxDelayMs: config.SINK_MAX_BACKOFF_MS,
    onRetry: (err, attempt, delayMs) => log.warn({ attempt, delayMs, err: (err as Error).message }, 'waiting for Postgres'),
  });
  await migrate(pool);
  const writer = createPostgresWriter(pool);
  // Derived tables (per-sensor values) get the same partitions, retention and compression.
  const tables = Object.values(tableSpecs).flatMap(tablesOf);
  const maintain = async (): Promise<void> => {
    try {
      await writer.ensurePartitions(tables, new Date(Date.now() - 86_400_000), config.SINK_PARTITIONS_AHEAD_DAYS + 1);
      const dropped = await writer.maintain({
        retentionDays: config.SINK_RETENTION_DAYS,
        compressAfterDays: config.SINK_COMPRESS_AFTER_DAYS,
        tables,
      });
      if (dropped.length > 0) log.info({ dropped }, 'expired partitions dropped');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'storage maintenance failed; will try again');
    }
  };
  await maintain();
  const timer = setInterval(() => void maintain(), MAINTENANCE_INTERVAL_MS);
  timer.unref();

  const topics = recordKinds.map((k) => enrichedTopic(config.SINK_TOPIC_PREFIX, k));
  const admin = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-sink-admin' }).admin();
  await admin.connect();
  try {
    await ensureTopics(
      admin,
      [...topics, `${config.SINK_TOPIC_PREFIX}.dlq`].map((topic) => ({ topic })),
    );
  } finally {
    await admin.disconnect();
  }

  const kafka = { brokers: config.KAFKA_BROKERS, clientId: 'zenthos-sink' };
  const consumer = createRdkafkaConsumer(
    { ...kafka, groupId: config.SINK_GROUP_ID },
    { 'session.timeout.ms': config.SINK_SESSION_TIMEOUT_MS, 'heartbeat.interval.ms': Math.floor(config.SINK_SESSION_TIMEOUT_MS / 3) },
  );
  const dlq = createRdkafkaProducer(kafka);
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe(topics);

  const runner = createSinkRunner({
    consumer,
    serde: createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }),
    writer,
    dlq,
    topicPrefix: config.SINK_TOPIC_PREFIX,
    batchSize: config.SINK_BATCH_SIZE,
    lingerMs: config.SINK_LINGER_MS,
    maxBackoffMs: config.SINK_MAX_BACKOFF_MS,
    instruments: createSinkInstruments(telemetry.meter),
    logger: log,
  });
  const ops = await createOpsServer({
    port: config.SINK_OPS_PORT,
    checks: {
      postgres: () => pingDatabase(pool),
      sink: async () => {
        if (!runner.healthy()) throw new Error('paused: waiting for Postgres or the schema registry');
      },
    },
    metrics: telemetry.metricsText,
  });
  log.info({ topics, opsPort: ops.port, batchSize: config.SINK_BATCH_SIZE, lingerMs: config.SINK_LINGER_MS }, 'sink started');

  let closing: Promise<void> | undefined;
  return {
    opsPort: ops.port,
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        await runner.stop();
        await Promise.allSettled([consumer.disconnect(), dlq.disconnect(), ops.close()]);
        await pool.end();
        log.info('sink stopped');
        await telemetry.shutdown();
      })()),
  };
}

/** Runs the sink in the foreground until SIGINT/SIGTERM. */
export async function runSink(): Promise<void> {
  const sink = await startSink();
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void sink.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

// `node dist/src/main.js` runs the sink directly (integration tests start it as a child process).
if (require.main === module) {
  runSink().catch((err: unknown) => {
    process.stderr.write(`zenthos-sink: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
