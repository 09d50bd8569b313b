// Serde throughput on one core: `npx tsc -b schemas && node schemas/dist/bench/serde.bench.js`.
// Prints records per second for encode, decode (bounded check + avsc), the bounded check alone
// and avsc alone, on a telemetry record of spec §5 size.
import { performance } from 'node:perf_hooks';
import { checkBounded, contracts, createMemoryRegistryClient, createSerdeWith, parseSchema, type TelemetryRaw } from '../src';

const telemetry: TelemetryRaw = {
  message_id: 'b9f5c8b2-1c2d-4e5f-8a9b-0c1d2e3f4a5b',
  device_id: 'esp32-s3-001',
  device_model: 'esp32-s3',
  timestamp: 1691020800,
  sensors: { temperature: 26.7, humidity: 61.2 },
  firmware_version: 'v0.1.0',
  model_version: 'm-2025-08-02-abc123',
  ingest_ts: 1691020800123,
};

async function rate(name: string, n: number, fn: () => unknown | Promise<unknown>): Promise<void> {
  for (let i = 0; i < Math.min(n, 10_000); i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const ms = performance.now() - t0;
  process.stdout.write(`${name.padEnd(34)} ${Math.round((n / ms) * 1000).toLocaleString('en-US')} records/s\n`);
}

async function main(): Promise<void> {
  const serde = createSerdeWith(createMemoryRegistryClient());
  const bytes = await serde.encode('zenthos.telemetry.raw-value', telemetry);
  const type = parseSchema(contracts['telemetry-raw'].schema);
  const payload = bytes.subarray(5);
  process.stdout.write(`telemetry record: ${bytes.length} bytes on the wire\n`);
  const n = 200_000;
  await rate('serde.encode', n, () => serde.encode('zenthos.telemetry.raw-value', telemetry));
  const schema = contracts['telemetry-raw'].schema;
  await rate('serde.encode (explicit schema)', n, () => serde.encode('zenthos.telemetry.raw-value', telemetry, { schema }));
  await rate('serde.decode (bounded + avsc)', n, () => serde.decode(bytes));
  await rate('checkBounded alone', n, () => checkBounded(type, payload));
  await rate('avsc fromBuffer alone', n, () => type.fromBuffer(payload));
}

void main();
