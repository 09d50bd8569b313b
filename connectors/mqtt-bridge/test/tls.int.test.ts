import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startBridge, type Bridge } from '../src/main';
import { createHarness, eventually, silentLogger, telemetryOf, type Harness } from './harness';

jest.setTimeout(60_000);

const run = promisify(execFile);
const MODEL = 'esp32-s3';
let h: Harness;
let bridge: Bridge;
let dir: string;

/** A key and a certificate signed by the test CA (EC P-256). */
async function issue(name: string, subject: string, ext?: string): Promise<void> {
  await run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    join(dir, `${name}.csr`),
    '-subj',
    subject,
  ]);
  const args = [
    'x509',
    '-req',
    '-in',
    join(dir, `${name}.csr`),
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-out',
    join(dir, `${name}.crt`),
    '-days',
    '1',
  ];
  if (ext) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    args.push('-extfile', join(dir, `${name}.ext`));
  }
  await run('openssl', args);
}

const tlsOptions = (name?: string): mqtt.IClientOptions => ({
  ca: readFileSync(join(dir, 'ca.crt')),
  ...(name ? { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) } : {}),
  reconnectPeriod: 0,
  connectTimeout: 5_000,
});

const outcome = async (url: string, options: mqtt.IClientOptions): Promise<string | number> => {
  try {
    const client = await mqtt.connectAsync(url, options);
    await client.endAsync();
    return 'connected';
  } catch (err) {
    return (err as { code?: number | string }).code ?? 'error';
  }
};

let deviceId: string;

beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-subj',
    '/CN=zenthos-test-ca',
    '-days',
    '1',
  ]);
  await issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\n');
  deviceId = `${h.prefix}-tls`;
  await h.devices.registerDevice({ id: deviceId, model: MODEL });
  await issue('device', `/CN=${deviceId}`);
  await issue('stranger', `/CN=${h.prefix}-unknown`);
  bridge = await startBridge(
    h.config({
      BRIDGE_MQTTS_PORT: '0',
      BRIDGE_TLS_CERT_FILE: join(dir, 'server.crt'),
      BRIDGE_TLS_KEY_FILE: join(dir, 'server.key'),
      BRIDGE_TLS_CLIENT_CA_FILE: join(dir, 'ca.crt'),
    }),
    { logger: silentLogger },
  );
});

afterAll(async () => {
  await bridge?.close();
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('accepts a device by its client certificate (CN = device id) and takes its telemetry', async () => {
  const url = `mqtts://127.0.0.1:${bridge.broker?.tlsPort}`;
  const client = await mqtt.connectAsync(url, { ...tlsOptions('device'), clientId: deviceId });
  try {
    const payload = telemetryOf(deviceId, MODEL);
    await client.publishAsync(`zenthos/${MODEL}/${deviceId}/telemetry`, JSON.stringify(payload), { qos: 1 });
    await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 20_000, 'record');
  } finally {
    await client.endAsync();
  }
});

it('refuses a certificate used for another client id, an unknown device, and no certificate at all', async () => {
  const url = `mqtts://127.0.0.1:${bridge.broker?.tlsPort}`;
  expect(await outcome(url, { ...tlsOptions('device'), clientId: `${h.prefix}-someone-else` })).toBe(5);
  expect(await outcome(url, { ...tlsOptions('stranger'), clientId: `${h.prefix}-unknown` })).toBe(5);
  expect(await outcome(url, { ...tlsOptions(), clientId: deviceId })).not.toBe('connected');
});
