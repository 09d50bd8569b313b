// OTA API benchmark (`npm run bench -w @zenthos/ota-api`): loopback only, bounded, leaves
// nothing behind (own database, storage folder and Redis prefix). Prints JSON and writes it to
// bench-results/ota-<time>.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Redis } from 'ioredis';
import { commonEnv, createLogger, loadConfig } from '@zenthos/core';
import { createTemporaryDatabase } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import { loadOtaConfig } from '../src/config';
import { startOtaServer } from '../src/main';

const stack = loadConfig({ DATABASE_URL: commonEnv.DATABASE_URL, REDIS_URL: commonEnv.REDIS_URL }, process.env);
const MIB = 1024 * 1024;

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
const round = (x: number, digits = 2): number => Number(x.toFixed(digits));
const since = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** `requests` GETs with `concurrency` in flight; answers rate and latency percentiles. */
async function load(url: string, headers: Record<string, string>, requests: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) {
        const t = process.hrtime.bigint();
        const res = await fetch(url, { headers });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`GET ${url} answered ${res.status}`);
        latencies.push(since(t));
      }
    }),
  );
  const seconds = since(start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests,
    concurrency,
    perSecond: Math.round(requests / seconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

async function main(): Promise<void> {
  const db = await createTemporaryDatabase(stack.DATABASE_URL);
  const dir = mkdtempSync(join(tmpdir(), 'zenthos-ota-bench-'));
  const prefix = `zenthos-bench:${randomBytes(6).toString('hex')}:`;
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: stack.REDIS_URL,
    OTA_REDIS_PREFIX: prefix,
    OTA_PORT: '0',
    OTA_HOST: '127.0.0.1',
    OTA_STORAGE_DIR: join(dir, 'artifacts'),
    ZENTHOS_KEYS_DIR: join(dir, 'keys'),
    LOG_LEVEL: 'silent',
    // HTTP and Postgres only: bench:notify measures the Kafka paths.
    OTA_NOTIFICATIONS: 'false',
    OTA_STATUS_FROM_KAFKA: 'false',
  };
  const ota = await startOtaServer(loadOtaConfig(env), { logger: createLogger({ service: 'ota-bench', level: 'silent' }) });
  try {
    const devices = Array.from({ length: 100 }, (_, i) => `bench-${i}`);
    const tokens: string[] = [];
    for (const id of devices) tokens.push((await ota.parts.devices.registerDevice({ id, model: 'esp32-s3', tags: ['beta'] })).token);

    // Publish: stage + sign + atomic commit of 1 MiB artifacts.
    const publishMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      const staged = await ota.parts.releases.stage(Readable.from([Buffer.alloc(MIB, i)]));
      await ota.parts.releases.publish({ kind: 'firmware', deviceModel: 'esp32-s3', version: `v1.0.${i}`, staged });
      publishMs.push(since(t));
    }
    publishMs.sort((a, b) => a - b);

    // Device token checks as the MQTT bridge makes them on CONNECT.
    const registry = createDeviceRegistryFromConfig(loadDevicesConfig(env), ota.parts.pool);
    const fresh = createDeviceRegistryFromConfig(loadDevicesConfig({ ...env, DEVICE_REVOCATION_CACHE_MS: '0' }), ota.parts.pool);
    const token = tokens[0] as string;
    await registry.verifyDeviceToken(token);
    let t = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) await registry.verifyDeviceToken(token);
    const cachedUs = (since(t) * 1000) / 20_000;
    t = process.hrtime.bigint();
    for (let i = 0; i < 2_000; i++) await fresh.verifyDeviceToken(tokens[i % tokens.length] as string);
    const uncachedUs = (since(t) * 1000) / 2_000;

    const latestUrl = `${ota.url}/firmware/esp32-s3/latest`;
    const auth = { authorization: `Bearer ${token}` };
    await load(latestUrl, auth, 200, 10); // warm-up
    const latestNoRollout = await load(latestUrl, auth, 3_000, 20);
    const rollout = await ota.parts.rollouts.create({
      kind: 'firmware',
      device_model: 'esp32-s3',
      version: 'v1.0.19',
      cohort: { type: 'tag', tag: 'beta' },
      stages: [{ percent: 50 }, { percent: 100 }],
    });
    const latestInRollout = await load(latestUrl, auth, 3_000, 20);

    const downloads = 30;
    t = process.hrtime.bigint();
    for (let i = 0; i < downloads; i++) await (await fetch(`${latestUrl}?download=true`)).arrayBuffer();
    const downloadMiBps = downloads / (since(t) / 1000);

    const result = {
      bench: 'ota-api',
      at: new Date().toISOString(),
      method:
        'loopback, one process: the load generator (fetch) and the API share the CPU; 100 registered devices; ' +
        '1 MiB artifacts on the filesystem store; Redis cache on; device token on every GET',
      publish1MiB: { count: publishMs.length, p50Ms: round(percentile(publishMs, 50)), p99Ms: round(percentile(publishMs, 99)) },
      verifyDeviceToken: { cachedMicros: round(cachedUs, 3), revocationLookupMicros: round(uncachedUs, 1) },
      getLatest: { withoutRollout: latestNoRollout, withOpenRollout: { ...latestInRollout, rolloutId: rollout.id } },
      download1MiB: { count: downloads, mibPerSecond: round(downloadMiBps, 1) },
    };
    const out = join(process.cwd(), 'bench-results');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, `ota-${result.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await ota.close();
    const redis = new Redis(stack.REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ota bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
