import { Writable } from 'node:stream';
import { createLogger } from '@zenthos/core';
import type { TelemetryEnriched } from '@zenthos/schemas';
import { createTcpProxy, type TcpProxy } from '@zenthos/testing';
import { loadProcessorConfig } from '../src/config';
import { startProcessor, type RunningProcessor } from '../src/main';
import { createStreamsTestEnv, endOffsetSum, env, makeWorkload, produceRaw, readCommitted, waitFor, type StreamsTestEnv } from './support';

jest.setTimeout(240_000);

describe('Postgres and Redis going away mid-stream', () => {
  let t: StreamsTestEnv;
  let pgProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let processor: RunningProcessor | undefined;
  const logLines: string[] = [];
  beforeAll(async () => {
    t = await createStreamsTestEnv();
    // The shared services stay up: the processor reaches them through proxies this test cuts.
    pgProxy = await createTcpProxy(Number(new URL(env.DATABASE_URL).port || 5432));
    redisProxy = await createTcpProxy(Number(new URL(env.REDIS_URL).port || 6379));
  });
  afterAll(async () => {
    await processor?.stop();
    await pgProxy?.close();
    await redisProxy?.close();
    await t?.close();
  });

  it('retries the batch with backoff until they are back, skipping nothing and doubling nothing', async () => {
    const viaProxy = (url: string, port: number): string => {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    };
    const config = loadProcessorConfig({
      ...t.processorEnv,
      DATABASE_URL: viaProxy(t.db.url, pgProxy.port),
      REDIS_URL: viaProxy(env.REDIS_URL, redisProxy.port),
      PROCESSOR_INSTANCE_ID: 'outage',
      PROCESSOR_BATCH_MAX: '100',
      // Every device is cached after the first lookups; a short TTL makes enrich query Postgres during the outage.
      PROCESSOR_DEVICE_CACHE_TTL_MS: '200',
    });
    const logger = createLogger({
      service: 'outage-test',
      level: 'warn',
      destination: new Writable({
        write: (chunk: Buffer, _enc, done) => {
          logLines.push(chunk.toString());
          done();
        },
      }),
    });
    processor = await startProcessor(config, { name: 'telemetry', ops: false, logger });

    const workload = makeWorkload(t.devices, 3_000, { duplicateRate: 0.05, invalidRate: 0 });
    await produceRaw(t, workload.inputs.slice(0, 1_000));
    await waitFor(
      'the first records to be processed',
      async () => (await endOffsetSum(t.admin, t.topic('telemetry.enriched'))) > 0,
      60_000,
    );

    await pgProxy.cut();
    await redisProxy.cut();
    await produceRaw(t, workload.inputs.slice(1_000));
    await waitFor('a retried batch', () => logLines.some((l) => l.includes('retrying batch')), 60_000);
    const duringOutage = await endOffsetSum(t.admin, t.topic('telemetry.enriched'));
    await pgProxy.restore();
    await redisProxy.restore();

    const enriched = await readCommitted(t.topic('telemetry.enriched'), workload.uniqueValid.size, { timeoutMs: 150_000, idleMs: 4_000 });
    const ids = await Promise.all(enriched.map(async (r) => (await t.serde.decode<TelemetryEnriched>(r.value as Buffer)).value.message_id));
    expect(ids).toHaveLength(workload.uniqueValid.size);
    expect(new Set(ids)).toEqual(workload.uniqueValid);
    expect(await endOffsetSum(t.admin, t.topic('telemetry.enriched'))).toBeGreaterThan(duringOutage);
    // Nothing was dead-lettered because a dependency was down.
    expect(await endOffsetSum(t.admin, t.topic('dlq'))).toBe(0);
  });
});
