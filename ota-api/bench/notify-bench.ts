// Release notification cost (`npm run bench:notify -w @zenthos/ota-api -- --devices 5000 --rounds 3`):
// loopback only, bounded, leaves nothing behind (own database, schema registry topic, Kafka
// topics and groups). Measures, in one process and one phase at a time:
//  - the OTA API: a publish to a model of N devices with notifications off and on, alternated
//    (wall time and process CPU time of the publish call); after the relay, a device's tag change
//    with a tag rollout open (off and on alternated) and the revocation of the key that signed
//    every release of the model;
//  - the MQTT bridge's relay: CPU time per notification taken from Kafka and published, retained,
//    to an in-process Aedes broker (the bridge built from connectors/mqtt-bridge).
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { commonEnv, createLogger, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase } from '@zenthos/db';
import { createKafkajs } from '@zenthos/kafka';
import { startRegistry } from '@zenthos/schemas';
import { loadOtaConfig } from '../src/config';
import { createOtaParts, type OtaParts } from '../src/main';

const stack = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL, KAFKA_BROKERS: commonEnv.KAFKA_BROKERS }, process.env);
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};
const logger = createLogger({ service: 'notify-bench', level: 'silent' });

/** What the bench uses of the bridge (a separate package, loaded at run time from its build). */
interface BridgeModule {
  loadBridgeConfig(env: Record<string, string>): unknown;
  startBridge(config: unknown, overrides: { logger: typeof logger }): Promise<{ close(): Promise<void>; ops: { port: number } }>;
}

async function main(): Promise<void> {
  const devices = arg('devices', 5_000);
  const rounds = arg('rounds', 3);
  const prefix = `zn-${randomBytes(5).toString('hex')}`;
  const topic = `${prefix}.ota.notifications`;
  const admin = createKafkajs({ brokers: stack.KAFKA_BROKERS, clientId: 'notify-bench' }).admin();
  await admin.connect();
  const registry = await startRegistry({
    brokers: stack.KAFKA_BROKERS,
    port: 0,
    host: '127.0.0.1',
    topic: `_schemas-${prefix}`,
    logLevel: 'silent',
  });
  const db = await createTemporaryDatabase(stack.DATABASE_URL);
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-notify-bench-'));
  const env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: stack.KAFKA_BROKERS.join(','),
    SCHEMA_REGISTRY_URL: registry.url,
    OTA_NOTIFICATIONS_TOPIC: topic,
    OTA_STATUS_FROM_KAFKA: 'false',
    OTA_CACHE: 'none',
    OTA_STORAGE_DIR: join(dir, 'artifacts'),
    ZENTHOS_KEYS_DIR: join(dir, 'keys'),
    OTA_GAUGE_INTERVAL_MS: '0',
    LOG_LEVEL: 'silent',
  };
  const parts: OtaParts[] = [];
  try {
    const on = await createOtaParts(loadOtaConfig({ ...env, OTA_NOTIFICATIONS: 'true' }), { logger });
    parts.push(on);
    const off = await createOtaParts(loadOtaConfig({ ...env, OTA_NOTIFICATIONS: 'false' }), { logger });
    parts.push(off);
    await on.pool.query(`INSERT INTO devices (id, model) SELECT 'bench-' || i, 'esp32-s3' FROM generate_series(1, $1) AS i`, [devices]);

    // Alternated, so both modes see the same machine load; the first publish of each warms up.
    const samples: Record<'off' | 'on', { wallMs: number[]; cpuMs: number[] }> = {
      off: { wallMs: [], cpuMs: [] },
      on: { wallMs: [], cpuMs: [] },
    };
    let version = 0;
    for (let round = 0; round <= rounds; round++) {
      for (const mode of ['off', 'on'] as const) {
        const p = mode === 'on' ? on : off;
        const staged = await p.releases.stage(Readable.from([Buffer.alloc(64 * 1024, version)]));
        const cpu = process.cpuUsage();
        const t = process.hrtime.bigint();
        await p.releases.publish({ kind: 'firmware', deviceModel: 'esp32-s3', version: `v1.0.${version++}`, staged });
        if (round === 0) continue;
        samples[mode].wallMs.push(Number(process.hrtime.bigint() - t) / 1e6);
        samples[mode].cpuMs.push(cpuMs(cpu));
      }
    }
    const notifications = (rounds + 1) * devices;

    // The relay: a bridge with no device connected publishes every notification as a retained
    // message; measured from its start until the last one is published.
    const bridgeModule = (await import('@zenthos/mqtt-bridge' as string)) as BridgeModule;
    const relayCpu = process.cpuUsage();
    const relayStart = process.hrtime.bigint();
    const bridge = await bridgeModule.startBridge(
      bridgeModule.loadBridgeConfig({
        ...env,
        BRIDGE_TOPIC_PREFIX: prefix,
        BRIDGE_MQTT_HOST: '127.0.0.1',
        BRIDGE_MQTT_PORT: '0',
        BRIDGE_OPS_PORT: '0',
        BRIDGE_OTA_GROUP_ID: `${prefix}-ota`,
      }),
      { logger },
    );
    // The bridge's own counter, from its /metrics.
    const sent = async (): Promise<number> => {
      const body = await (await fetch(`http://127.0.0.1:${bridge.ops.port}/metrics`)).text();
      return [...body.matchAll(/^zenthos_ota_notifications_sent_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const deadline = Date.now() + 300_000;
    let relayed = 0;
    while ((relayed = await sent()) < notifications && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const relayWallMs = Number(process.hrtime.bigint() - relayStart) / 1e6;
    const relayCpuMs = cpuMs(relayCpu);
    await bridge.close();

    // Changes that move single devices or whole models without a publish, after the relay so
    // its count is exact: a device's tags with a tag rollout open (each change moves it into or
    // out of the rollout, one notification), alternated with notifications off and on; then
    // revoking the signing key of every release of the model (one notification per device).
    const rolloutVersion = `v1.0.${version++}`;
    await on.releases.publish({
      kind: 'firmware',
      deviceModel: 'esp32-s3',
      version: rolloutVersion,
      staged: await on.releases.stage(Readable.from([Buffer.alloc(64 * 1024, version)])),
    });
    await on.rollouts.create({
      kind: 'firmware',
      device_model: 'esp32-s3',
      version: rolloutVersion,
      cohort: { type: 'tag', tag: 'beta' },
      stages: [{ percent: 100 }],
    });
    const tagSamples: Record<'off' | 'on', { wallMs: number[]; cpuMs: number[] }> = {
      off: { wallMs: [], cpuMs: [] },
      on: { wallMs: [], cpuMs: [] },
    };
    let tagNotifications = 0;
    const tagChanges = 20;
    for (let i = 0; i <= tagChanges; i++) {
      for (const mode of ['off', 'on'] as const) {
        const p = mode === 'on' ? on : off;
        const cpu = process.cpuUsage();
        const t = process.hrtime.bigint();
        const { notified } = await p.deviceUpdates.setTags(`bench-${(i % devices) + 1}`, mode === 'on' ? [] : ['beta']);
        if (i === 0) continue;
        tagSamples[mode].wallMs.push(Number(process.hrtime.bigint() - t) / 1e6);
        tagSamples[mode].cpuMs.push(cpuMs(cpu));
        tagNotifications += notified;
      }
    }
    const revokeCpu = process.cpuUsage();
    const revokeStart = process.hrtime.bigint();
    const revoked = await on.releases.revokeKey(on.keyring.active?.keyId as string);
    const revokeWallMs = Number(process.hrtime.bigint() - revokeStart) / 1e6;
    const revokeCpuMs = cpuMs(revokeCpu);

    const summary = (mode: 'off' | 'on') => ({
      wallMsMedian: round(median(samples[mode].wallMs)),
      cpuMsMedian: round(median(samples[mode].cpuMs)),
    });
    const result = {
      bench: 'ota-notifications',
      at: new Date().toISOString(),
      method:
        `one process, phases one after the other; ${devices} devices of one model; ${rounds} measured publishes per mode ` +
        '(after one warm-up each), notifications off and on alternated; CPU = process user+system time',
      publish: { devices, off: summary('off'), on: summary('on') },
      publishCpuMicrosPerNotification: round(((median(samples.on.cpuMs) - median(samples.off.cpuMs)) * 1000) / devices, 1),
      tagChange: {
        changes: tagChanges,
        notifications: tagNotifications,
        off: { wallMsMedian: round(median(tagSamples.off.wallMs)), cpuMsMedian: round(median(tagSamples.off.cpuMs)) },
        on: { wallMsMedian: round(median(tagSamples.on.wallMs)), cpuMsMedian: round(median(tagSamples.on.cpuMs)) },
      },
      keyRevocation: {
        notified: revoked.notified,
        wallMs: round(revokeWallMs),
        cpuMs: round(revokeCpuMs),
        cpuMicrosPerNotification: round((revokeCpuMs * 1000) / Math.max(1, revoked.notified), 1),
      },
      relay: {
        notifications,
        relayed,
        wallMs: round(relayWallMs),
        cpuMicrosPerNotification: round((relayCpuMs * 1000) / Math.max(1, relayed), 1),
        note: 'includes the bridge start-up (topic check, producer, group join)',
      },
    };
    const out = join(process.cwd(), 'bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `notify-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const p of parts) await p.close().catch(() => undefined);
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(prefix));
    await admin.deleteGroups(groups).catch(() => undefined);
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`) || t === `_schemas-${prefix}`);
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    await registry.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  },
);
