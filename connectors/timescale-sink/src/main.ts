import { createLogger, createOpsServer, retry } from '@zenthos/core';
import { createPool, migrate, pingDatabase } from '@zenthos/db';
import { createKafkajs, createRdkafkaConsumer, createRdkafkaProducer, ensureTopics } from '@zenthos/kafka';
import { createSerde } from '@zenthos/schemas';
import { initTelemetry } from '@zenthos/telemetry';
import { loadSinkConfig } from './config';
import { enrichedTopic, recordKinds } from './domain/records';
import { tableSpecs } from './domain/rows';
import { createSinkInstruments } from './adapters/instruments';
import { createPostgresWriter } from './adapters/postgres-writer';
import { createRollupRefresher } from './adapters/rollup-refresher';
import { createSinkRunner } from './adapters/sink-runner';
import { createTelemetryRowDecoder } from './adapters/telemetry-rows';

/** A started sink. */
export interface RunningSink {
  readonly opsPort: number;
  /** Stops consuming after the batch in hand, then closes every connection. */
  close(): Promise<void>;
}

const MAINTENANCE_INTERVAL_MS = 3_600_000;
// How often the plain-PostgreSQL rollups are materialised. The views are exact whenever it runs
// (what is not materialised yet is aggregated live), so this only bounds how much they aggregate
// live; TimescaleDB's refresh policies run every minute for the 1 minute rollup.
const ROLLUP_REFRESH_INTERVAL_MS = 10_000;

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
  const tables = Object.values(tableSpecs).map((s) => s.table);
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
  const instruments = createSinkInstruments(telemetry.meter);

  // The rollups are refreshed here, off the write path: the sink's transactions write the raw
  // tables only (migration 0130_deferred_rollups.sql).
  const refresher = createRollupRefresher(pool);
  let refreshing: Promise<void> | undefined;
  const refreshRollups = async (): Promise<void> => {
    try {
      const outcome = await refresher.refresh();
      instruments.rollupRefreshes.add(1, { outcome: outcome.kind });
    } catch (err) {
      instruments.rollupRefreshes.add(1, { outcome: 'failed' });
      log.warn({ err: (err as Error).message }, 'rollup refresh failed; will try again');
    }
  };
  const refreshTimer = setInterval(() => {
    refreshing ??= refreshRollups().finally(() => (refreshing = undefined));
  }, ROLLUP_REFRESH_INTERVAL_MS);
  refreshTimer.unref();

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
    {
      'session.timeout.ms': config.SINK_SESSION_TIMEOUT_MS,
      'heartbeat.interval.ms': Math.floor(config.SINK_SESSION_TIMEOUT_MS / 3),
      // A poll returns as soon as the assigned partitions are drained (node-rdkafka's consume(n)
      // otherwise waits for n records while each arrives within the timeout), which is how the
      // runner knows that nothing more is ready and writes at once.
      'enable.partition.eof': true,
      'fetch.wait.max.ms': config.SINK_FETCH_WAIT_MAX_MS,
      'fetch.min.bytes': config.SINK_FETCH_MIN_BYTES,
    },
  );
  const dlq = createRdkafkaProducer(kafka);
  await Promise.all([consumer.connect(), dlq.connect()]);
  await consumer.subscribe(topics);

  const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
  const runner = createSinkRunner({
    consumer,
    serde,
    telemetryRows: createTelemetryRowDecoder(serde.registry),
    writer,
    dlq,
    topicPrefix: config.SINK_TOPIC_PREFIX,
    batchSize: config.SINK_BATCH_SIZE,
    lingerMs: config.SINK_LINGER_MS,
    minLingerMs: config.SINK_MIN_LINGER_MS,
    commitIntervalMs: config.SINK_COMMIT_INTERVAL_MS,
    maxBackoffMs: config.SINK_MAX_BACKOFF_MS,
    instruments,
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
        clearInterval(refreshTimer);
        await runner.stop();
        await refreshing;
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
