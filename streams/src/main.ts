import { createLogger, createOpsServer, type Logger, type OpsServer } from '@zenthos/core';
import { createPool, pingDatabase } from '@zenthos/db';
import { createKafkajs, createRdkafkaTransactionalPipe } from '@zenthos/kafka';
import { createSerde, type AvroSchema } from '@zenthos/schemas';
import { initTelemetry, type Telemetry } from '@zenthos/telemetry';
import type { ProcessorConfig } from './config';
import { createBatchHandler } from './domain/batch';
import { createDedupe } from './domain/dedupe';
import { createEnrich } from './domain/enrich';
import { systemClock, type NamedProcessor, type Processor } from './domain/record';
import { fullTopic, planPipeline, resolveSchema, subjectOf, type ProcessorDecl, type Topology } from './domain/topology';
import { createValidate } from './domain/validate';
import { zenthosTopology } from './domain/zenthos-topology';
import { createProcessorRunner, type ProcessorRunner } from './adapters/kafka-runner';
import { createPostgresDeviceRegistry } from './adapters/postgres-device-registry';
import { createRedisDedupeStore } from './adapters/redis-dedupe-store';
import { createSerdeCodec } from './adapters/serde-codec';
import { applyTopics } from './adapters/topic-admin';
import { createRecordTracer } from './adapters/tracing';
import { createStreamMetrics, type StreamMetrics } from './metrics';

/** Options of {@link startProcessor}. */
export interface StartProcessorOptions {
  /** The pipeline (a source of the topology): telemetry, status, inference or logs. */
  readonly name: string;
  readonly topology?: Topology;
  readonly logger?: Logger;
  /** OpenTelemetry of the service (initTelemetry); a private one without exporters when absent. */
  readonly telemetry?: Telemetry;
  /** Serve /health, /ready, /metrics (default true). */
  readonly ops?: boolean;
}

/** A started processor. */
export interface RunningProcessor {
  readonly runner: ProcessorRunner;
  readonly metrics: StreamMetrics;
  readonly telemetry: Telemetry;
  readonly ops?: OpsServer;
  /** Resolves when the loop ends (after stop, or on an unrecoverable error). */
  readonly done: Promise<void>;
  /** Graceful stop: finish the batch in hand, commit, leave the group, flush, close. */
  stop(): Promise<void>;
}

/**
 * Wires one pipeline of the topology to Kafka, the schema registry, Postgres and Redis, and
 * starts its loop. The only place adapters meet the domain (STYLE.md).
 */
export async function startProcessor(config: ProcessorConfig, options: StartProcessorOptions): Promise<RunningProcessor> {
  const topology = options.topology ?? zenthosTopology;
  const plan = planPipeline(topology, options.name);
  const prefix = config.STREAMS_TOPIC_PREFIX;
  const logger = options.logger ?? createLogger({ service: `zenthos-processor-${plan.name}`, level: config.LOG_LEVEL });
  const telemetry = options.telemetry ?? initTelemetry({ serviceName: 'stream-processor', env: {}, registerGlobal: false });
  const metrics = createStreamMetrics(telemetry.meter);
  const clock = systemClock;

  const pool = createPool(config.DATABASE_URL, { max: 4, applicationName: `zenthos-processor-${plan.name}` });
  const registry = createPostgresDeviceRegistry({
    pool,
    url: config.DATABASE_URL,
    cacheMax: config.PROCESSOR_DEVICE_CACHE_MAX,
    cacheTtlMs: config.PROCESSOR_DEVICE_CACHE_TTL_MS,
    activityFlushMs: config.PROCESSOR_ACTIVITY_FLUSH_MS,
    onError: (err) => logger.warn({ code: err.code }, `device registry: ${err.message}`),
  });
  // A poll batch's claims go out in one script call instead of the store's default 1,000 per
  // call. Bounded: a script holds Redis for its whole run (about 4-6 µs per claim in the
  // end-to-end bench, so 20-30 ms for 5,000 claims).
  const dedupeStore = createRedisDedupeStore({
    url: config.REDIS_URL,
    keyPrefix: `${prefix}:dedupe:${plan.name}:`,
    maxBatch: Math.min(Math.max(config.PROCESSOR_BATCH_MAX, 1_000), 5_000),
  });

  const build = (decl: ProcessorDecl): Processor<unknown, unknown> => {
    switch (decl.use) {
      case 'validate':
        return createValidate(
          {
            kind: decl.kind,
            maxFutureSkewS: config.PROCESSOR_MAX_FUTURE_SKEW_S,
            maxAgeS: config.PROCESSOR_MAX_AGE_S,
            sensorRanges: config.PROCESSOR_SENSOR_RANGES,
          },
          { clock },
        ) as Processor<unknown, unknown>;
      case 'enrich':
        return createEnrich(
          { autoRegister: config.PROCESSOR_AUTO_REGISTER },
          { devices: registry, activity: registry, clock },
        ) as Processor<unknown, unknown>;
      case 'dedupe':
        return createDedupe({ windowMs: config.PROCESSOR_DEDUPE_WINDOW_MS }, { store: dedupeStore }) as Processor<unknown, unknown>;
    }
  };
  const steps: NamedProcessor[] = plan.steps.map((s) => ({ name: s.name, process: build(s.decl) }));

  const serde = createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL });
  const outputByTopic = new Map<string, AvroSchema>();
  for (const topic of plan.sinkTopics) {
    const ref = topology.subjects[subjectOf(topic)];
    const schema = ref && resolveSchema(ref);
    if (schema) outputByTopic.set(fullTopic(prefix, topic), schema);
  }
  const input = resolveSchema(plan.steps[0]?.decl.input ?? '') as AvroSchema;
  const handleBatch = createBatchHandler(
    {
      pipeline: plan.name,
      steps,
      sinkTopics: plan.sinkTopics.map((t) => fullTopic(prefix, t)),
      dlqTopic: fullTopic(prefix, topology.deadLetterTopic),
    },
    {
      codec: createSerdeCodec(serde, { input, outputByTopic }),
      clock,
      // Without a traces exporter no span of this process reaches a backend: no tracer, and the
      // records' trace headers pass through unchanged (see createBatchHandler).
      ...(telemetry.settings.traces !== undefined ? { tracer: createRecordTracer(plan.name, telemetry.tracer) } : {}),
      observeStep: (processor, ms) => metrics.recordStepTime(processor, ms),
    },
  );

  const groupId = `${prefix}.processor.${plan.name}`;
  const pipe = createRdkafkaTransactionalPipe({
    brokers: config.KAFKA_BROKERS,
    clientId: `zenthos-processor-${plan.name}-${config.PROCESSOR_INSTANCE_ID}`,
    groupId,
    transactionalId: `${prefix}.processor.${plan.name}.${config.PROCESSOR_INSTANCE_ID}`,
    transactionTimeoutMs: config.PROCESSOR_TRANSACTION_TIMEOUT_MS,
    // How soon a crashed member's partitions move to the others.
    consumerOverrides: {
      'session.timeout.ms': config.PROCESSOR_SESSION_TIMEOUT_MS,
      'heartbeat.interval.ms': Math.floor(config.PROCESSOR_SESSION_TIMEOUT_MS / 4),
      'fetch.wait.max.ms': config.PROCESSOR_FETCH_WAIT_MAX_MS,
    },
    producerOverrides: { 'compression.codec': config.PROCESSOR_COMPRESSION },
    onTransactionError: (err, action) => logger.warn({ code: err.code, action }, `transaction: ${err.message}`),
  });
  const runner = createProcessorRunner(
    {
      pipeline: plan.name,
      groupId,
      sourceTopics: [fullTopic(prefix, plan.sourceTopic)],
      batchMax: config.PROCESSOR_BATCH_MAX,
      pollTimeoutMs: config.PROCESSOR_POLL_TIMEOUT_MS,
      transactionIntervalMs: config.PROCESSOR_TRANSACTION_INTERVAL_MS,
    },
    { pipe, handleBatch, metrics, logger },
  );

  if (config.PROCESSOR_CREATE_TOPICS) {
    // The broker does not create topics on its own (auto-create off): make sure the pipeline's
    // topics exist, as the topology declares them. Existing topics are never altered here.
    const used = new Set([plan.sourceTopic, ...plan.sinkTopics, topology.deadLetterTopic]);
    const admin = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: `zenthos-processor-${plan.name}-admin` }).admin();
    await admin.connect();
    try {
      const topics = Object.fromEntries(Object.entries(topology.topics).filter(([t]) => used.has(t)));
      const created = await applyTopics(admin, { ...topology, topics }, prefix, { createOnly: true });
      for (const c of created) logger.info({ topic: c.topic, detail: c.detail }, 'topic created');
    } finally {
      await admin.disconnect();
    }
  }
  await registry.start();
  const ops =
    options.ops === false
      ? undefined
      : await createOpsServer({
          port: config.PROCESSOR_OPS_PORT,
          checks: {
            kafka: async () => {
              if (!runner.isReady()) throw new Error('not subscribed yet');
            },
            postgres: () => pingDatabase(pool),
            redis: () => dedupeStore.ping(),
          },
          metrics: () => telemetry.metricsText(),
        });

  const done = runner.run().finally(async () => {
    await registry.close().catch(() => undefined);
    await dedupeStore.close();
    await pool.end().catch(() => undefined);
    await ops?.close().catch(() => undefined);
    if (!options.telemetry) await telemetry.shutdown().catch(() => undefined);
  });
  return {
    runner,
    metrics,
    telemetry,
    ops,
    done,
    async stop() {
      await runner.stop();
      await done.catch(() => undefined);
    },
  };
}
