import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contracts, createHttpRegistryClient, type TelemetryEnriched } from '@zenthos/schemas';
import { checkSubjects, registerSubjects } from '../src/adapters/subjects';
import type { Topology } from '../src/domain/topology';
import { zenthosTopology } from '../src/domain/zenthos-topology';
import { loadProcessorConfig } from '../src/config';
import { listDeadLetters } from '../src/adapters/dead-letter-admin';
import { consumerLag } from '../src/adapters/lag';
import { dlqHeaders } from '../src/domain/dead-letter';
import { startProcessor, type RunningProcessor } from '../src/main';
import { createStreamsTestEnv, env, makeWorkload, produceRaw, readCommitted, waitFor, type StreamsTestEnv } from './support';

jest.setTimeout(240_000);

const exec = promisify(execFile);
const cliBin = join(__dirname, '../../cli/bin/zenthos.js');

describe('telemetry pipeline against Kafka, the registry, Postgres and Redis', () => {
  let t: StreamsTestEnv;
  let processor: RunningProcessor | undefined;
  beforeAll(async () => {
    t = await createStreamsTestEnv();
  });
  afterAll(async () => {
    await processor?.stop();
    await t?.close();
  });

  it('turns 10,000 raw records (5% duplicate ids, 1% invalid) into exactly the unique valid ones, with dead letters for the rest', async () => {
    const workload = makeWorkload(t.devices, 10_000, { duplicateRate: 0.05, invalidRate: 0.01 });
    expect(workload.inputs).toHaveLength(10_000);
    expect(workload.uniqueValid.size).toBe(9_400);
    // Some records carry a W3C trace context, as the MQTT bridge writes it.
    const traced = new Map<string, string>();
    workload.inputs.forEach((r, i) => {
      if (i % 100 === 0 && r.value && !traced.has(r.value.message_id)) traced.set(r.value.message_id, randomBytes(16).toString('hex'));
    });
    // A device retrying a message sends it with the same trace context.
    const inputs = workload.inputs.map((r) => {
      const traceId = r.value && traced.get(r.value.message_id);
      return traceId ? { ...r, headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } } : r;
    });
    await produceRaw(t, inputs);

    const config = loadProcessorConfig({ ...t.processorEnv, PROCESSOR_INSTANCE_ID: 'in-process' });
    processor = await startProcessor(config, { name: 'telemetry', ops: false });

    const enriched = await readCommitted(t.topic('telemetry.enriched'), workload.uniqueValid.size, { timeoutMs: 150_000 });
    const values = await Promise.all(enriched.map(async (r) => (await t.serde.decode<TelemetryEnriched>(r.value as Buffer)).value));
    const ids = values.map((v) => v.message_id);
    expect(ids.length).toBe(workload.uniqueValid.size);
    expect(new Set(ids)).toEqual(workload.uniqueValid);
    expect(values[0]).toMatchObject({
      known_device: true,
      location: { latitude: 52.5, longitude: 13.4 },
      metadata: { room: values[0]?.device_id },
    });
    expect(values.every((v) => v.owner === `owner-${v.device_id}`)).toBe(true);

    const dead = await readCommitted(t.topic('dlq'), 100, { timeoutMs: 30_000 });
    const reasons: Record<string, number> = {};
    for (const d of dead) {
      const reason = d.headers[dlqHeaders.reason]?.toString() ?? 'none';
      reasons[reason] = (reasons[reason] ?? 0) + 1;
      expect(d.headers[dlqHeaders.sourceTopic]?.toString()).toBe(t.topic('telemetry.raw'));
      expect(d.headers[dlqHeaders.sourceOffset]?.toString()).toMatch(/^\d+$/);
      expect(d.headers[dlqHeaders.processor]?.toString()).toMatch(/^(decode|telemetry-validate|telemetry-enrich)$/);
    }
    expect(reasons).toEqual(workload.invalidByReason);

    // The trace continues: same trace id, a new parent span (the processor's).
    const tracedOut = enriched.filter((_r, i) => traced.has(values[i]!.message_id) && workload.uniqueValid.has(values[i]!.message_id));
    expect(tracedOut.length).toBeGreaterThan(50);
    for (const r of tracedOut) {
      const [, traceId, spanId] = r.headers.traceparent!.toString().split('-');
      const v = values[enriched.indexOf(r)]!;
      expect(traceId).toBe(traced.get(v.message_id));
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    }

    // Records in/out/dead-lettered per processor (20 garbage records never reach a processor).
    const m = processor.metrics;
    expect([m.count('telemetry-validate', 'forward'), m.count('telemetry-validate', 'dead_letter')]).toEqual([9_920, 60]);
    expect([m.count('telemetry-enrich', 'forward'), m.count('telemetry-enrich', 'dead_letter')]).toEqual([9_900, 20]);
    expect([m.count('telemetry-dedupe', 'forward'), m.count('telemetry-dedupe', 'drop')]).toEqual([9_400, 500]);
    expect(m.count('decode', 'dead_letter')).toBe(20);
    const text = await processor.telemetry.metricsText();
    expect(text).toMatch(/zenthos_streams_records_processed_total\{[^}]*processor="telemetry-dedupe"[^}]*\} /);
    expect(text).toMatch(/zenthos_worker_processing_time_seconds_count\{[^}]*\} \d+/);
    expect(text).toMatch(/zenthos_dlq_messages_total\{[^}]*reason="ZEN_UNKNOWN_DEVICE"[^}]*\} 20/);

    // Every source record is committed: the group has no lag left on any partition (also as `zenthos lag` prints it).
    const lagCli = await exec(process.execPath, [cliBin, 'lag', '--json'], { env: { ...process.env, ...t.processorEnv } });
    const lagRows = lagCli.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { group: string; lag: number });
    expect(lagRows.filter((r) => r.group === `${t.prefix}.processor.telemetry`).map((r) => r.lag)).toEqual([0, 0, 0, 0]);
    const lag = await consumerLag(t.admin, { group: `${t.prefix}.processor.telemetry` });
    expect(lag.map((l) => [l.topic, l.lag])).toEqual([0, 1, 2, 3].map(() => [t.topic('telemetry.raw'), 0]));
    expect(lag.reduce((sum, l) => sum + l.end, 0)).toBe(10_000);

    // Batched write-back of what the records said about their devices.
    await waitFor(
      'last_seen of every device',
      async () =>
        (await t.db.pool.query('SELECT count(*)::int AS n FROM devices WHERE last_seen IS NOT NULL AND firmware_version = $1', ['v1.2.3']))
          .rows[0].n === t.devices.length,
      10_000,
    );
  });

  it('replays dead letters of unknown devices after the devices are registered (zenthos dlq replay)', async () => {
    const unknown = await listDeadLetters({ brokers: env.KAFKA_BROKERS, admin: t.admin }, t.topic('dlq'), { reason: 'ZEN_UNKNOWN_DEVICE' });
    expect(unknown).toHaveLength(20);
    await t.db.pool.query(`INSERT INTO devices (id, model) SELECT DISTINCT unnest($1::text[]), 'esp32-s3'`, [unknown.map((d) => d.key)]);

    const childEnv = { ...process.env, ...t.processorEnv };
    const list = await exec(process.execPath, [cliBin, 'dlq', 'list', '--reason', 'ZEN_UNKNOWN_DEVICE', '--json'], { env: childEnv });
    const listed = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; reason: string; processor: string });
    expect(listed).toHaveLength(20);
    expect(listed.every((d) => d.reason === 'ZEN_UNKNOWN_DEVICE' && d.processor === 'telemetry-enrich')).toBe(true);
    const shown = JSON.parse((await exec(process.execPath, [cliBin, 'dlq', 'show', listed[0]!.id], { env: childEnv })).stdout) as {
      reason: string;
      source: { topic: string };
      value_hex: string;
    };
    expect(shown).toMatchObject({ reason: 'ZEN_UNKNOWN_DEVICE', source: { topic: t.topic('telemetry.raw') } });
    expect(shown.value_hex.startsWith('00')).toBe(true); // Confluent wire format: magic byte 0
    const replay = await exec(process.execPath, [cliBin, 'dlq', 'replay', '--reason', 'ZEN_UNKNOWN_DEVICE', '--since', '1h'], {
      env: childEnv,
    });
    expect(replay.stdout).toContain('replayed 20 dead letter(s)');

    const enriched = await readCommitted(t.topic('telemetry.enriched'), 9_420, { timeoutMs: 60_000 });
    const values = await Promise.all(enriched.map(async (r) => (await t.serde.decode<TelemetryEnriched>(r.value as Buffer)).value));
    const ghosts = values.filter((v) => v.device_id.startsWith('ghost-'));
    expect(ghosts.map((v) => v.device_id).sort()).toEqual(unknown.map((d) => d.key).sort());
    expect(enriched).toHaveLength(9_420);
    // Nothing new was dead-lettered by the replay.
    expect(await listDeadLetters({ brokers: env.KAFKA_BROKERS, admin: t.admin }, t.topic('dlq'), {})).toHaveLength(100);
  });

  it('checks subjects against the running registry and registers the missing ones (topology check --live, apply --register-subjects)', async () => {
    const registry = createHttpRegistryClient({ url: t.registry.url });
    // The processors registered what they used; the other kinds have seen no traffic.
    const before = await checkSubjects(registry, zenthosTopology, t.prefix);
    expect(before.map((p) => p.code)).toEqual(Array(6).fill('missing-subject'));
    expect(before.map((p) => p.node)).not.toContain(`${t.prefix}.telemetry.raw-value`);

    await registerSubjects(registry, zenthosTopology, t.prefix);
    expect(await checkSubjects(registry, zenthosTopology, t.prefix)).toEqual([]);

    // A new required field without a default breaks BACKWARD compatibility: named, with the subject.
    const raw = contracts['telemetry-raw'].schema;
    const changed: Topology = {
      ...zenthosTopology,
      subjects: {
        ...zenthosTopology.subjects,
        'telemetry.raw-value': { schema: { ...raw, fields: [...raw.fields, { name: 'battery_pct', type: 'int' }] } },
      },
    };
    expect(await checkSubjects(registry, changed, t.prefix)).toEqual([
      expect.objectContaining({ code: 'incompatible-schema', node: `${t.prefix}.telemetry.raw-value` }),
    ]);
  });
});
