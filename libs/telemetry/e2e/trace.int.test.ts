// One trace per device message (issue 9, spec §10): the platform runs as child processes
// (`zenthos run …`, as `zenthos demo` starts it) exporting OTLP/HTTP JSON to a receiver in this
// test; a device publishes one telemetry message over MQTT 5 with a `traceparent` user property.
// Every per-message span (mqtt.receive → middleware.handle → kafka.produce → stream.* →
// worker.process) must carry that trace id with its parent in the same trace. The batch spans
// (the sink's db.write, the RabbitMQ bridge's rabbit.publish) handle many messages at once and
// link to the message's trace instead of having it as parent.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import { deleteTopics, freePlatformPorts, startPlatform, type Platform, type PlatformNames, type PlatformPorts } from '@zenthos/demo';
import { prometheusNames, spanNames } from '../src';
import { attribute, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../test/otlp-receiver';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const adminDbUrl = process.env.DATABASE_URL ?? 'postgres://zenthos:zenthos@127.0.0.1:5432/zenthos';
const MODEL = 'esp32-s3';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('one trace per device message, across every service (spec §10)', () => {
  let receiver: OtlpReceiver;
  let db: TemporaryDatabase;
  let platform: Platform | undefined;
  let names: PlatformNames;
  let ports: PlatformPorts;
  let lastTrace: { traceId: string; deviceId: string } | undefined;
  const dirs: string[] = [];
  const tempDir = (what: string): string => {
    const dir = mkdtempSync(join(tmpdir(), `zenthos-trace-${what}-`));
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    db = await createTemporaryDatabase(adminDbUrl);
    // A rule the test message breaks, so the alerts worker logs "alert fired" inside its span.
    await db.pool.query(`INSERT INTO alert_rules (device_model, sensor, op, threshold, window_s) VALUES ('*', 'temperature', '>', 20, 1)`);
    const prefix = `ztrace-${randomBytes(4).toString('hex')}`;
    names = {
      topicPrefix: prefix,
      rabbitPrefix: `${prefix}.`,
      redisPrefix: `${prefix}:`,
      registryTopic: `_schemas-${prefix}`,
      databaseUrl: db.url,
      storageDir: tempDir('storage'),
      keysDir: tempDir('keys'),
      logLevel: 'info',
      without: ['processor-status'],
    };
    ports = await freePlatformPorts();
    platform = await startPlatform(ports, names, {
      logDir: tempDir('logs'),
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_BLRP_SCHEDULE_DELAY: '100',
      },
    });
  }, 240_000);

  afterAll(async () => {
    await platform?.stop();
    await deleteTopics(brokers, names.topicPrefix, [names.registryTopic]).catch(() => undefined);
    await db?.drop();
    await receiver?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('carries the device trace through bridge, processor and RabbitMQ worker; the sink and RabbitMQ batch spans link to it', async () => {
    const devices = createDeviceRegistryFromConfig(loadDevicesConfig({ DATABASE_URL: db.url, ZENTHOS_KEYS_DIR: names.keysDir }), db.pool);
    const deviceId = `trace-${randomBytes(3).toString('hex')}`;
    const { token } = await devices.registerDevice({ id: deviceId, model: MODEL });

    // The device's own span: the firmware sends its context as an MQTT 5 user property.
    const traceId = randomBytes(16).toString('hex');
    const deviceSpanId = randomBytes(8).toString('hex');
    const messageId = randomUUID();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, {
      protocolVersion: 5,
      clientId: deviceId,
      username: deviceId,
      password: token,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    try {
      await client.publishAsync(
        `zenthos/${MODEL}/${deviceId}/telemetry`,
        JSON.stringify({
          message_id: messageId,
          device_id: deviceId,
          device_model: MODEL,
          timestamp: Math.floor(Date.now() / 1000),
          sensors: { temperature: 21.5, humidity: 40 },
          firmware_version: 'v0.1.0',
          model_version: 'm-1',
        }),
        { qos: 1, properties: { userProperties: { traceparent: `00-${traceId}-${deviceSpanId}-01` } } },
      );
    } finally {
      await client.endAsync();
    }

    lastTrace = { traceId, deviceId };
    // The row lands, then the sink's span is exported (batch delay 100 ms).
    let stored = 0;
    for (let i = 0; i < 300 && stored === 0; i++) {
      stored = (await db.pool.query('SELECT count(*)::int AS n FROM telemetry_raw WHERE message_id = $1', [messageId])).rows[0].n as number;
      if (stored === 0) await sleep(200);
    }
    expect(stored).toBe(1);
    // The bridge's mqtt.receive span of this message, then everything in its trace.
    const topic = `zenthos/${MODEL}/${deviceId}/telemetry`;
    const isReceive = (s: OtlpSpan): boolean =>
      s.name === spanNames.mqttReceive && attribute(s.attributes, 'messaging.destination.name') === topic;
    let spans: OtlpSpan[] = [];
    for (let i = 0; i < 100; i++) {
      const receive = receiver.spans().find(isReceive);
      spans = receive ? receiver.spans().filter((s) => s.traceId === receive.traceId) : [];
      const has = (name: string): boolean => spans.some((s) => s.name === name);
      if (has(spanNames.dbWrite) && has(spanNames.rabbitPublish) && has(spanNames.workerProcess)) break;
      await sleep(200);
    }
    // Everything the receiver got, so a failure shows which hop started a new trace.
    const all = receiver
      .spans()
      .map((s) => `${s.serviceName} ${s.name} trace=${s.traceId} span=${s.spanId} parent=${s.parentSpanId ?? ''}`);
    const receive = spans.find(isReceive);
    const inTrace = spans.map((s) => `${s.serviceName} ${s.name}`);
    expect({ inTrace, all }).toEqual({
      inTrace: expect.arrayContaining([
        `mqtt-bridge ${spanNames.mqttReceive}`,
        `mqtt-bridge ${spanNames.middlewareHandle}`,
        `mqtt-bridge ${spanNames.kafkaProduce}`,
        // The batch writes are children of their first message (spec §10: mqtt.receive → … → db.write).
        `timescale-sink ${spanNames.dbWrite}`,
        `rabbitmq-bridge ${spanNames.rabbitPublish}`,
        // RabbitMQ consumers continue the trace from the AMQP headers (spec §10 worker.process).
        `alerts ${spanNames.workerProcess}`,
      ]),
      all: expect.any(Array),
    });
    // The stream processor between bridge and sink continues the trace too.
    expect(spans.filter((s) => s.name.startsWith(spanNames.streamProcess)).length).toBeGreaterThan(0);
    // One chain: every span's parent is in the trace, except mqtt.receive's, the device's own span.
    const ids = new Set(spans.map((s) => s.spanId));
    expect(spans.filter((s) => s !== receive && !ids.has(s.parentSpanId ?? '')).map((s) => `${s.serviceName} ${s.name}`)).toEqual([]);
    expect({ traceId: receive?.traceId, parentSpanId: receive?.parentSpanId }).toEqual({ traceId, parentSpanId: deviceSpanId });
  }, 120_000);

  // Every service's /metrics, scraped by Prometheus in compose, must pass promtool's format and lint checks.
  it.each(['registry', 'bridgeOps', 'processorTelemetryOps', 'sinkOps', 'rabbitOps', 'alertsOps', 'ota'] as const)(
    '/metrics of the %s service passes promtool check metrics',
    async (port) => {
      const res = await fetch(`http://127.0.0.1:${ports[port]}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ status: run.status, out: `${run.stdout}${run.stderr}` }).toEqual({ status: 0, out: '' });
    },
  );

  it('exposes the metrics of spec §10 under the names the dashboards query, once a message went through', async () => {
    const families = new Set<string>();
    for (const port of ['bridgeOps', 'processorTelemetryOps', 'sinkOps', 'rabbitOps', 'alertsOps', 'ota'] as const) {
      const text = await (await fetch(`http://127.0.0.1:${ports[port]}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+) /gm)) families.add(m[1]!);
    }
    expect([...families]).toEqual(
      expect.arrayContaining([
        prometheusNames.messagesIngested,
        prometheusNames.ingestLatencyMs,
        prometheusNames.otaRequests,
        prometheusNames.workerProcessingTimeMs,
        prometheusNames.connectedDevices,
        prometheusNames.recordsProcessed,
        prometheusNames.rowsWritten,
        prometheusNames.dbWriteLatencyMs,
        prometheusNames.rabbitPublished,
      ]),
    );
  });

  it("logs JSON lines with the message's trace_id and span_id inside a traced request, on stdout and over OTLP", async () => {
    expect(lastTrace).toBeDefined();
    const { traceId, deviceId } = lastTrace!;
    const worker = receiver.spans().find((s) => s.traceId === traceId && s.name === spanNames.workerProcess);
    expect(worker).toBeDefined();
    // stdout of `zenthos run alerts`: pino JSON lines.
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      line = readFileSync(platform!.services.get('alerts')!.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((r) => r.msg === 'alert fired' && r.device_id === deviceId);
      if (!line) await sleep(200);
    }
    expect(line).toMatchObject({ trace_id: traceId, span_id: worker?.spanId });
    // The same line as an OTLP log record, correlated with the span.
    type LogRecord = { body?: { stringValue?: string }; traceId?: string; spanId?: string };
    let record: LogRecord | undefined;
    for (let i = 0; i < 50 && !record; i++) {
      record = receiver.requests
        .filter((r) => r.path === '/v1/logs')
        .flatMap((r) =>
          (r.body.resourceLogs as Array<{ scopeLogs: Array<{ logRecords: LogRecord[] }> }>).flatMap((rl) =>
            rl.scopeLogs.flatMap((sl) => sl.logRecords),
          ),
        )
        .find((l) => l.body?.stringValue === 'alert fired' && l.traceId === traceId);
      if (!record) await sleep(200);
    }
    expect(record).toMatchObject({ traceId, spanId: worker?.spanId });
  }, 30_000);
});
