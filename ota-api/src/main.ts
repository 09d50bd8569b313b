import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, ZenthosError, type Logger } from '@zenthos/core';
import { createKafkajs, createRdkafkaConsumer, createRdkafkaProducer, ensureTopics } from '@zenthos/kafka';
import { createSerde, type Serde } from '@zenthos/schemas';
import { createPool, migrate, pingDatabase, type Pool } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadOrCreateEd25519Key, type DeviceRegistry } from '@zenthos/devices';
import { trace, type Tracer } from '@opentelemetry/api';
import type { Telemetry } from '@zenthos/telemetry';
import type { OtaConfig } from './config';
import { createApiTokens, type ApiTokens } from './adapters/api-tokens';
import type { ArtifactStore } from './adapters/artifact-store';
import { createDeviceUpdates, type DeviceUpdates } from './adapters/device-updates';
import { createNoCache, createRedisCache, type OtaCache } from './adapters/cache';
import { createFsArtifactStore } from './adapters/fs-artifact-store';
import { registerFleetGauges } from './adapters/fleet-gauges';
import { createGithubWebhook, type GithubWebhook } from './adapters/github-webhook';
import { createOtaApp } from './adapters/http/app';
import { createOtaMetrics, createTelemetryMetrics, type OtaMetrics } from './adapters/http/metrics';
import { createKafkaNotifier, createNoNotifier, type ChangeNotifier } from './adapters/notifier';
import { createReleaseService, type ReleaseService } from './adapters/releases';
import { createRolloutService, type RolloutService } from './adapters/rollouts';
import { createS3ArtifactStore } from './adapters/s3-artifact-store';
import { startStatusConsumer, type StatusConsumer } from './adapters/status-consumer';
import { createKeyring, type Keyring } from './adapters/signing-keys';

/** Name of the development release-signing key in ZENTHOS_KEYS_DIR. */
export const DEV_SIGNING_KEY_NAME = 'ota-signing-ed25519';

/** The wired parts of the OTA service, without the HTTP listener (the CLI uses them too). */
export interface OtaParts {
  readonly config: OtaConfig;
  readonly pool: Pool;
  readonly store: ArtifactStore;
  readonly cache: OtaCache;
  readonly keyring: Keyring;
  readonly releases: ReleaseService;
  readonly devices: DeviceRegistry;
  readonly deviceUpdates: DeviceUpdates;
  readonly tokens: ApiTokens;
  readonly rollouts: RolloutService;
  readonly webhook: GithubWebhook;
  readonly metrics: OtaMetrics;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Options for {@link createOtaParts}: what tests replace. */
export interface OtaPartsOptions {
  readonly logger?: Logger;
  readonly fetch?: typeof fetch;
  /** OpenTelemetry for spans and metrics; without it /metrics uses plain in-process counters. */
  readonly telemetry?: Telemetry;
  /** Tracer of request spans; the telemetry's, else the global one. */
  readonly tracer?: Tracer;
  /** Avro serde for status records (OTA_STATUS_FROM_KAFKA); from SCHEMA_REGISTRY_URL by default. */
  readonly serde?: Pick<Serde, 'decode'>;
}

/** Partitions of the notifications topic when the OTA API creates it (auto-create is off). */
const NOTIFICATION_PARTITIONS = 6;

/**
 * The release notifier of OTA_NOTIFICATIONS: creates the topic when missing (compacted: per
 * device only the newest notification matters, as for the retained MQTT message it becomes)
 * and connects the idempotent producer.
 */
async function createNotifier(
  config: OtaConfig,
  loadContext: Parameters<typeof createKafkaNotifier>[0]['loadContext'],
  deps: { tracer: Tracer; logger: Logger; metrics: OtaMetrics },
): Promise<ChangeNotifier> {
  if (!config.OTA_NOTIFICATIONS) return createNoNotifier();
  const admin = createKafkajs({ brokers: config.KAFKA_BROKERS, clientId: 'zenthos-ota-admin' }).admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [
      { topic: config.OTA_NOTIFICATIONS_TOPIC, partitions: NOTIFICATION_PARTITIONS, config: { 'cleanup.policy': 'compact' } },
    ]);
  } finally {
    await admin.disconnect();
  }
  // A change waits at most OTA_NOTIFICATIONS_TIMEOUT_MS for Kafka, then fails with 503 and rolls
  // back (its transaction, locks and the operator's request do not wait longer). librdkafka's
  // message.timeout.ms (5 min by default) is set to the same, so a record Kafka never took is
  // dropped rather than kept for later where librdkafka does apply it.
  const producer = createRdkafkaProducer(
    { brokers: config.KAFKA_BROKERS, clientId: 'zenthos-ota-api' },
    { 'message.timeout.ms': config.OTA_NOTIFICATIONS_TIMEOUT_MS },
  );
  await producer.connect();
  return createKafkaNotifier({
    producer,
    serde: createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }),
    topic: config.OTA_NOTIFICATIONS_TOPIC,
    loadContext,
    tracer: deps.tracer,
    logger: deps.logger,
    onSent: (kind, reason, count) => deps.metrics.countNotifications(kind, reason, count),
    ackTimeoutMs: config.OTA_NOTIFICATIONS_TIMEOUT_MS,
  });
}

/** Loads the signing key, migrates the database and wires every adapter. */
export async function createOtaParts(config: OtaConfig, options: OtaPartsOptions = {}): Promise<OtaParts> {
  const telemetry = options.telemetry;
  const logger =
    options.logger ??
    createLogger({
      service: 'ota-api',
      level: config.LOG_LEVEL,
      ...(telemetry ? { mixin: telemetry.logMixin, destination: telemetry.logDestination } : {}),
    });
  const metrics = telemetry ? createTelemetryMetrics(telemetry) : createOtaMetrics();
  const pool = createPool(config.DATABASE_URL, { applicationName: 'zenthos-ota-api' });
  let notifier: ChangeNotifier | undefined;
  try {
    await migrate(pool);
    const signingKey = loadOrCreateEd25519Key({
      pem: config.OTA_SIGNING_KEY,
      file: config.OTA_SIGNING_KEY_FILE,
      devDir: config.ZENTHOS_KEYS_DIR,
      devName: DEV_SIGNING_KEY_NAME,
    });
    if (signingKey.source.startsWith('generated:'))
      logger.warn({ keyId: signingKey.keyId, path: signingKey.source.slice(10) }, 'created a development signing key');
    const keyring = createKeyring(pool, signingKey);
    await keyring.register();
    const store = config.MINIO_ENDPOINT
      ? createS3ArtifactStore({
          endpoint: config.MINIO_ENDPOINT,
          accessKeyId: config.MINIO_ACCESS_KEY ?? '',
          secretAccessKey: config.MINIO_SECRET_KEY ?? '',
          bucket: config.MINIO_BUCKET,
          region: config.MINIO_REGION,
        })
      : createFsArtifactStore(config.OTA_STORAGE_DIR);
    const cache =
      config.OTA_CACHE === 'redis'
        ? createRedisCache({
            url: config.REDIS_URL,
            prefix: config.OTA_REDIS_PREFIX,
            latestTtlS: config.OTA_LATEST_CACHE_TTL_S,
            deviceStateTtlS: config.OTA_DEVICE_STATE_TTL_S,
            onError: (err) => {
              metrics.countCacheError();
              logger.warn({ err }, 'cache operation failed; using Postgres');
            },
          })
        : createNoCache();
    if (telemetry) {
      registerFleetGauges(
        telemetry.meter,
        pool,
        (err) => logger.warn({ err }, 'fleet gauges could not be computed'),
        config.OTA_GAUGE_INTERVAL_MS,
      );
    }
    // The notifier reads `latest` contexts through the release service, which publishes through it.
    notifier = await createNotifier(config, (kind, model, db) => releases.loadContext(kind, model, db), {
      tracer: options.tracer ?? telemetry?.tracer ?? trace.getTracer('ota-api'),
      logger,
      metrics,
    });
    const releases = createReleaseService({
      pool,
      store,
      keyring,
      cache,
      publicUrl: config.OTA_PUBLIC_URL,
      maxArtifactBytes: config.OTA_MAX_ARTIFACT_BYTES,
      manifestTtlDays: config.OTA_MANIFEST_TTL_DAYS,
      notifier,
    });
    const devices = createDeviceRegistryFromConfig(config, pool);
    const deviceUpdates = createDeviceUpdates({ pool, devices, notifier });
    const tokens = createApiTokens(pool);
    const rollouts = createRolloutService(pool, cache, notifier);
    const webhook = createGithubWebhook({
      secret: config.GITHUB_WEBHOOK_SECRET,
      pool,
      releases,
      keyring,
      logger,
      githubToken: config.GITHUB_TOKEN,
      downloadTimeoutMs: config.GITHUB_DOWNLOAD_TIMEOUT_MS,
      // Past two download timeouts nobody is still working on it.
      staleAfterMs: 2 * config.GITHUB_DOWNLOAD_TIMEOUT_MS,
      maxArtifactBytes: config.OTA_MAX_ARTIFACT_BYTES,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return {
      config,
      pool,
      store,
      cache,
      keyring,
      releases,
      devices,
      deviceUpdates,
      tokens,
      rollouts,
      webhook,
      metrics,
      logger,
      async close() {
        await webhook.idle();
        await (notifier as ChangeNotifier).close();
        await cache.close();
        await store.close?.();
        await pool.end();
      },
    };
  } catch (err) {
    await notifier?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** A running OTA API. */
export interface OtaServer {
  readonly parts: OtaParts;
  /** The consumer of device status records, when OTA_STATUS_FROM_KAFKA is on. */
  readonly statusConsumer: StatusConsumer | undefined;
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the OTA API on OTA_HOST:OTA_PORT (port 0 picks a free one). */
export async function startOtaServer(config: OtaConfig, options: OtaPartsOptions = {}): Promise<OtaServer> {
  const parts = await createOtaParts(config, options);
  // Staged uploads older than a day were left by killed publishes; nothing points at them.
  await parts.store.sweepStaged(86_400_000).catch((err: unknown) => parts.logger.warn({ err }, 'could not sweep staged artifacts'));
  const app = createOtaApp({
    ...parts,
    checks: {
      postgres: () => pingDatabase(parts.pool),
      cache: () => parts.cache.ping(),
      storage: async () => void (await parts.store.stat('.probe')),
    },
    maxArtifactBytes: config.OTA_MAX_ARTIFACT_BYTES,
    onlineWindowS: config.OTA_ONLINE_WINDOW_S,
    s3Redirect: config.OTA_S3_REDIRECT,
    ...(options.tracer ? { tracer: options.tracer } : options.telemetry ? { tracer: options.telemetry.tracer } : {}),
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.OTA_PORT, config.OTA_HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  // Slow clients must not hold sockets forever; 10 s covers the webhook's answer budget.
  server.requestTimeout = 300_000;
  server.headersTimeout = 10_000;
  // Device status messages carry OTA reports too (spec §11); consumed only where enabled, so
  // one group of OTA instances owns them.
  let statusConsumer: StatusConsumer | undefined;
  if (config.OTA_STATUS_FROM_KAFKA) {
    try {
      statusConsumer = await startStatusConsumer({
        consumer: createRdkafkaConsumer({
          brokers: config.KAFKA_BROKERS,
          clientId: 'zenthos-ota-api',
          groupId: config.OTA_STATUS_GROUP_ID,
        }),
        serde: options.serde ?? createSerde({ registryUrl: config.SCHEMA_REGISTRY_URL }),
        topic: config.OTA_STATUS_TOPIC,
        logger: parts.logger,
        handle: async (report) => {
          const device = await parts.devices.getDevice(report.deviceId);
          if (!device || device.model !== report.deviceModel)
            throw new ZenthosError('ZEN_UNKNOWN_DEVICE', `device ${report.deviceId} is not registered`);
          await parts.rollouts.report(device, report);
        },
      });
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await parts.close();
      throw err;
    }
  }
  const port = (server.address() as AddressInfo).port;
  parts.logger.info({ port, keyId: parts.keyring.active?.keyId, storage: parts.store.kind }, 'OTA API listening');
  return {
    parts,
    statusConsumer,
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      await statusConsumer?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await parts.close();
    },
  };
}
