import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { restoreFastStringPrototype, ZenthosError } from '@zenthos/core';
import type { StackConfig } from './config';
import { run, which, type LaunchSpec } from './process';
import { ensureDebianPackages } from './packages';

/** Where one service keeps its files under `.zenthos/`. */
export interface ServicePaths {
  readonly data: string;
  readonly logFile: string;
  readonly pidFile: string;
}

/** One service of the local stack. */
export interface ServiceDef {
  readonly name: 'kafka' | 'postgres' | 'rabbitmq' | 'redis' | 'mosquitto';
  readonly host: string;
  readonly port: number;
  /** The address shown by `status`, without credentials. */
  readonly address: string;
  /** True when the configured address is on this machine, so `up` may start it. */
  readonly local: boolean;
  /** Signal that asks the service to shut down cleanly. */
  readonly stopSignal: NodeJS.Signals;
  /** Installs and initialises what the service needs; idempotent. */
  prepare(paths: ServicePaths, root: string): Promise<void>;
  /** How to start it. */
  launchSpec(paths: ServicePaths, root: string): LaunchSpec;
  /** Resolves when the service answers its protocol; throws otherwise. */
  health(): Promise<void>;
  /** One-off set-up once healthy (databases, extensions); idempotent. */
  afterStart?(paths: ServicePaths): Promise<void>;
}

const localHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const isRoot = (): boolean => userInfo().uid === 0;
const redact = (url: URL): string => `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;

/** Where a URL-configured service listens, as `status` shows it, and whether `up` may start it. */
function endpointOf(urlText: string, defaultPort: number): { host: string; port: number; address: string; local: boolean } {
  const url = new URL(urlText);
  return { host: url.hostname, port: Number(url.port || defaultPort), address: redact(url), local: localHosts.has(url.hostname) };
}

/** The Debian PostgreSQL server binaries, newest version first. */
function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && Number(v) >= 15 && existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

const missingTool = (service: string, tool: string, pkg: string): ZenthosError =>
  new ZenthosError(
    'ZEN_STACK_MISSING_TOOL',
    `${service}: ${tool} is not installed (Debian package ${pkg}; run as root so zenthos can install it)`,
  );

/** Makes a folder that the given OS user (or we) can write. */
function ownedDir(dir: string, user?: string): void {
  mkdirSync(dir, { recursive: true });
  if (user && isRoot()) {
    const ids = run('id', ['-u', user]).trim();
    const gid = run('id', ['-g', user]).trim();
    chownSync(dir, Number(ids), Number(gid));
  }
}

/**
 * The folder PostgreSQL keeps its data in. PostgreSQL refuses to run as root, so as root it runs
 * as the `postgres` user, which must be able to reach the folder. When the project lives where
 * that user cannot go (a home folder with mode 700, say), the data goes to a folder of its own
 * under /var/lib and `.zenthos/data/postgres` links to it.
 */
function postgresHome(dataDir: string, osUser: string | undefined): string {
  if (existsSync(dataDir)) return realpathSync(dataDir);
  mkdirSync(dirname(dataDir), { recursive: true });
  if (osUser && spawnSync('runuser', ['-u', osUser, '--', 'test', '-x', dirname(dataDir)]).status !== 0) {
    const outside = join('/var/lib/zenthos-stack', createHash('sha256').update(dataDir).digest('hex').slice(0, 12), 'postgres');
    ownedDir(outside, osUser);
    symlinkSync(outside, dataDir);
    return outside;
  }
  ownedDir(dataDir, osUser);
  return dataDir;
}

function kafkaService(cfg: StackConfig): ServiceDef {
  const [host = '127.0.0.1', portText = '9092'] = (cfg.KAFKA_BROKERS[0] ?? '127.0.0.1:9092').split(':');
  const port = Number(portText);
  const controllerPort = port + 1;
  return {
    name: 'kafka',
    host,
    port,
    address: cfg.KAFKA_BROKERS.join(','),
    local: localHosts.has(host),
    stopSignal: 'SIGTERM',
    async prepare(paths, root) {
      if (!which('java')) throw missingTool('kafka', 'java', 'openjdk-17-jre-headless');
      const libs = join(root, '.zenthos', 'kafka', 'libs');
      const pom = join(root, 'stack', 'kafka', 'pom.xml');
      const stamp = join(libs, '.pom-stamp');
      const pomText = readFileSync(pom, 'utf8');
      if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== pomText) {
        if (!which('mvn')) throw missingTool('kafka', 'mvn', 'maven');
        process.stderr.write('kafka: fetching the broker jars from Maven Central (first run only)...\n');
        run('mvn', ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`]);
        writeFileSync(stamp, pomText);
      }
      mkdirSync(paths.data, { recursive: true });
      const logDir = join(paths.data, 'log');
      writeFileSync(
        join(paths.data, 'server.properties'),
        [
          '# Written by `zenthos stack up`: a single-node KRaft broker for local use.',
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@${host}:${controllerPort}`,
          `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
          `advertised.listeners=PLAINTEXT://${host}:${port}`,
          'controller.listener.names=CONTROLLER',
          'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          `log.dirs=${logDir}`,
          'num.partitions=3',
          'auto.create.topics.enable=false',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=10',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'transaction.state.log.num.partitions=10',
          'share.coordinator.state.topic.replication.factor=1',
          'share.coordinator.state.topic.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          'num.network.threads=2',
          'num.io.threads=4',
          'log.retention.hours=168',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(paths.data, 'log4j2.properties'),
        [
          'status = warn',
          'appender.out.type = Console',
          'appender.out.name = OUT',
          'appender.out.layout.type = PatternLayout',
          'appender.out.layout.pattern = [%d] %p %m (%c)%n',
          'rootLogger.level = INFO',
          'rootLogger.appenderRef.out.ref = OUT',
          'logger.kafka.name = kafka',
          'logger.kafka.level = WARN',
          'logger.apache.name = org.apache.kafka',
          'logger.apache.level = WARN',
          'logger.started.name = kafka.server.KafkaRaftServer',
          'logger.started.level = INFO',
          '',
        ].join('\n'),
      );
      if (!existsSync(join(logDir, 'meta.properties'))) {
        // KRaft storage must be formatted once with a cluster id (22 characters of base64url).
        const clusterId = randomBytes(16).toString('base64url');
        run('java', [
          '-cp',
          `${libs}/*`,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          clusterId,
          '-c',
          join(paths.data, 'server.properties'),
        ]);
      }
    },
    launchSpec(paths, root) {
      const libs = join(root, '.zenthos', 'kafka', 'libs');
      return {
        command: 'java',
        args: [
          `-Xms${Math.min(256, cfg.KAFKA_HEAP_MB)}m`,
          `-Xmx${cfg.KAFKA_HEAP_MB}m`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          // C1 only: with tiered compilation the broker on two busy cores spent its first ten
          // minutes and more in profiled (tier 3) code waiting for C2, plus 0.5-1.2 s of C2 work
          // per 50,000-message bench run: 0.053 ms of broker CPU per message fresh and still
          // 0.016-0.025 at seven to eleven minutes. C1-compiled: 0.017-0.026 after 30-70 s,
          // 0.012-0.023 later.
          '-XX:TieredStopAtLevel=1',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${join(paths.data, 'log4j2.properties')}`,
          '-cp',
          `${libs}/*`,
          'kafka.Kafka',
          join(paths.data, 'server.properties'),
        ],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      };
    },
    async health() {
      const { Kafka, logLevel } = await import('kafkajs');
      const admin = new Kafka({
        clientId: 'zenthos-stack',
        brokers: cfg.KAFKA_BROKERS,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

function postgresService(cfg: StackConfig): ServiceDef {
  const url = new URL(cfg.DATABASE_URL);
  const endpoint = endpointOf(cfg.DATABASE_URL, 5432);
  const { host, port } = endpoint;
  const user = decodeURIComponent(url.username || 'zenthos');
  const password = decodeURIComponent(url.password || 'zenthos');
  const database = url.pathname.replace(/^\//, '') || 'zenthos';
  const osUser = isRoot() ? 'postgres' : undefined;
  const adminUrl = (): string => {
    const u = new URL(cfg.DATABASE_URL);
    u.pathname = '/postgres';
    return u.toString();
  };
  const timescaleAvailable = (bin: string): boolean => {
    const share = run(join(bin, 'pg_config'), ['--sharedir']).trim();
    return existsSync(join(share, 'extension', 'timescaledb.control'));
  };
  return {
    name: 'postgres',
    ...endpoint,
    // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
    stopSignal: 'SIGINT',
    async prepare(paths) {
      if (!postgresBinDir()) await ensureDebianPackages(['postgresql']);
      const bin = postgresBinDir();
      if (!bin) throw missingTool('postgres', 'postgres', 'postgresql');
      const home = postgresHome(paths.data, osUser);
      const pgdata = join(home, 'pgdata');
      if (!existsSync(join(pgdata, 'PG_VERSION'))) {
        const pwfile = join(home, 'pwfile');
        writeFileSync(pwfile, `${password}\n`);
        chmodSync(pwfile, 0o644);
        run(
          join(bin, 'initdb'),
          ['-D', pgdata, '-U', user, `--pwfile=${pwfile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C'],
          {
            user: osUser,
          },
        );
      }
      ownedDir(join(home, 'socket'), osUser);
    },
    launchSpec(paths) {
      const bin = postgresBinDir() ?? '/usr/lib/postgresql/15/bin';
      const home = postgresHome(paths.data, osUser);
      const settings = [
        `listen_addresses=${host === 'localhost' ? 'localhost' : host}`,
        `port=${port}`,
        `unix_socket_directories=${join(home, 'socket')}`,
        'max_connections=200',
        'shared_buffers=256MB',
        'logging_collector=off',
        // One timestamp per transaction, read back by `zenthos bench` as each row's arrival.
        'track_commit_timestamp=on',
      ];
      if (timescaleAvailable(bin)) settings.push('shared_preload_libraries=timescaledb', 'timescaledb.telemetry_level=off');
      return {
        command: join(bin, 'postgres'),
        args: ['-D', join(home, 'pgdata'), ...settings.flatMap((s) => ['-c', s])],
        user: osUser,
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      };
    },
    async health() {
      const { Client } = await import('pg');
      const client = new Client({ connectionString: adminUrl(), connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    async afterStart() {
      const { Client } = await import('pg');
      const admin = new Client({ connectionString: adminUrl() });
      await admin.connect();
      try {
        const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await admin.end();
      }
      const db = new Client({ connectionString: cfg.DATABASE_URL });
      await db.connect();
      try {
        const ext = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
        if ((ext.rowCount ?? 0) > 0) await db.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
      } finally {
        await db.end();
      }
    },
  };
}

function rabbitService(cfg: StackConfig): ServiceDef {
  const endpoint = endpointOf(cfg.AMQP_URL, 5672);
  const { host, port } = endpoint;
  const server = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  return {
    name: 'rabbitmq',
    ...endpoint,
    stopSignal: 'SIGTERM',
    async prepare(paths) {
      if (!existsSync(server)) await ensureDebianPackages(['rabbitmq-server']);
      if (!existsSync(server)) throw missingTool('rabbitmq', 'rabbitmq-server', 'rabbitmq-server');
      mkdirSync(join(paths.data, 'home'), { recursive: true });
      mkdirSync(join(paths.data, 'log'), { recursive: true });
      // Quorum queues and a short disk/memory watermark fit a small development machine.
      writeFileSync(
        join(paths.data, 'rabbitmq.conf'),
        [
          `listeners.tcp.1 = ${host === 'localhost' ? '127.0.0.1' : host}:${port}`,
          'loopback_users = none',
          'disk_free_limit.absolute = 200MB',
          'log.console = true',
          'log.file = false',
          '',
        ].join('\n'),
      );
      writeFileSync(join(paths.data, 'enabled_plugins'), '[].\n');
    },
    launchSpec(paths) {
      return {
        command: server,
        args: [],
        env: {
          ...process.env,
          HOME: join(paths.data, 'home'),
          RABBITMQ_NODENAME: `zenthos-${port}@localhost`,
          RABBITMQ_NODE_IP_ADDRESS: host === 'localhost' ? '127.0.0.1' : host,
          RABBITMQ_NODE_PORT: String(port),
          RABBITMQ_DIST_PORT: String(port + 20000),
          RABBITMQ_CONFIG_FILE: join(paths.data, 'rabbitmq.conf'),
          RABBITMQ_ENABLED_PLUGINS_FILE: join(paths.data, 'enabled_plugins'),
          RABBITMQ_MNESIA_BASE: join(paths.data, 'mnesia'),
          RABBITMQ_LOG_BASE: join(paths.data, 'log'),
          RABBITMQ_PID_FILE: join(paths.data, 'rabbitmq.pid'),
          ERL_EPMD_ADDRESS: '127.0.0.1',
        },
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      };
    },
    async health() {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(cfg.AMQP_URL, { timeout: 2000 });
      await conn.close();
    },
  };
}

function redisService(cfg: StackConfig): ServiceDef {
  const endpoint = endpointOf(cfg.REDIS_URL, 6379);
  const { host, port } = endpoint;
  return {
    name: 'redis',
    ...endpoint,
    stopSignal: 'SIGTERM',
    async prepare(paths) {
      if (!which('redis-server')) await ensureDebianPackages(['redis-server']);
      if (!which('redis-server')) throw missingTool('redis', 'redis-server', 'redis-server');
      mkdirSync(paths.data, { recursive: true });
    },
    launchSpec(paths) {
      return {
        command: 'redis-server',
        args: [
          '--bind',
          host === 'localhost' ? '127.0.0.1' : host,
          '--port',
          String(port),
          '--dir',
          paths.data,
          '--appendonly',
          'yes',
          '--daemonize',
          'no',
          '--save',
          '',
        ],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      };
    },
    async health() {
      const { Redis } = await import('ioredis');
      restoreFastStringPrototype(); // ioredis subclasses String
      const redis = new Redis(cfg.REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        connectTimeout: 2000,
      });
      redis.on('error', () => undefined); // reported by the rejected ping below
      try {
        await redis.connect();
        if ((await redis.ping()) !== 'PONG') throw new Error('PING was not answered with PONG');
      } finally {
        redis.disconnect();
      }
    },
  };
}

function mosquittoService(cfg: StackConfig): ServiceDef {
  const endpoint = endpointOf(cfg.MOSQUITTO_URL, 1883);
  const { host, port } = endpoint;
  return {
    name: 'mosquitto',
    ...endpoint,
    stopSignal: 'SIGTERM',
    async prepare(paths) {
      if (!which('mosquitto') && !existsSync('/usr/sbin/mosquitto')) await ensureDebianPackages(['mosquitto', 'mosquitto-clients']);
      if (!which('mosquitto') && !existsSync('/usr/sbin/mosquitto')) throw missingTool('mosquitto', 'mosquitto', 'mosquitto');
      mkdirSync(paths.data, { recursive: true });
      const lines = [
        `listener ${port} ${host === 'localhost' ? '127.0.0.1' : host}`,
        'allow_anonymous true',
        'persistence false',
        'max_queued_messages 100000',
      ];
      // As root, mosquitto would drop to its own user; staying root keeps the log file writable.
      if (isRoot()) lines.push('user root');
      writeFileSync(join(paths.data, 'mosquitto.conf'), `${lines.join('\n')}\n`);
    },
    launchSpec(paths) {
      return {
        command: which('mosquitto') ?? '/usr/sbin/mosquitto',
        args: ['-c', join(paths.data, 'mosquitto.conf')],
        logFile: paths.logFile,
        pidFile: paths.pidFile,
      };
    },
    async health() {
      const mqtt = await import('mqtt');
      const client = await mqtt.connectAsync(cfg.MOSQUITTO_URL, {
        connectTimeout: 2000,
        reconnectPeriod: 0,
        clientId: `zenthos-stack-${randomBytes(4).toString('hex')}`,
      });
      await client.endAsync();
    },
  };
}

/** Every service of the local stack, in start order. */
export const stackServices = (cfg: StackConfig): ServiceDef[] => [
  kafkaService(cfg),
  postgresService(cfg),
  rabbitService(cfg),
  redisService(cfg),
  mosquittoService(cfg),
];
