import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startBridge, type Bridge } from '../src/main';
import { brokers, createHarness, eventually, silentLogger, sleep, telemetryOf, type Harness } from './harness';
import { createKafkaProxy, type KafkaProxy } from '@zenthos/testing';

jest.setTimeout(120_000);

const MODEL = 'esp32-s3';
let h: Harness;
let proxy: KafkaProxy;
let bridge: Bridge;

beforeAll(async () => {
  h = await createHarness();
  const [host, port] = (brokers[0] as string).split(':') as [string, string];
  proxy = await createKafkaProxy({ host, port: Number(port) });
  bridge = await startBridge(
    h.config({
      KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
      // Long enough that the record waits for Kafka instead of failing during the outage.
      BRIDGE_KAFKA_DELIVERY_TIMEOUT_MS: '90000',
      BRIDGE_MAX_IN_FLIGHT: '64',
    }),
    { logger: silentLogger },
  );
});

afterAll(async () => {
  await bridge?.close();
  await proxy?.close();
  await h?.close();
});

it('sends no PUBACK while Kafka is unreachable; the resent message is acknowledged once Kafka is back', async () => {
  const id = `${h.prefix}-outage`;
  const { token } = await h.devices.registerDevice({ id, model: MODEL });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${bridge.broker?.port}`, {
    clientId: id,
    username: id,
    password: token,
    clean: false,
    reconnectPeriod: 300,
  });
  try {
    const topic = `zenthos/${MODEL}/${id}/telemetry`;
    await client.publishAsync(topic, JSON.stringify(telemetryOf(id, MODEL)), { qos: 1 });

    proxy.cut();
    const payload = telemetryOf(id, MODEL);
    let acknowledged = false;
    const puback = new Promise<void>((resolve, reject) =>
      client.publish(topic, JSON.stringify(payload), { qos: 1 }, (err) => {
        acknowledged = true;
        if (err) reject(err);
        else resolve();
      }),
    );
    await sleep(3_000);
    expect(acknowledged).toBe(false);

    // The device loses its connection and, on reconnecting, resends the unacknowledged PUBLISH.
    client.stream.destroy();
    await eventually(() => (client.connected ? true : undefined), 20_000, 'reconnect');
    await sleep(1_000);
    expect(acknowledged).toBe(false);
    expect(await h.findByMessageId('telemetry.raw', payload.message_id)).toBeUndefined();

    proxy.restore();
    await puback;
    const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 30_000, 'the resent record');
    expect(record.key?.toString()).toBe(id);
  } finally {
    await client.endAsync(true);
  }
});

it('stops reading a socket while Kafka holds its publishes, instead of buffering them', async () => {
  const id = `${h.prefix}-flood`;
  const { token } = await h.devices.registerDevice({ id, model: MODEL });
  const socket = netConnect(bridge.broker?.port as number, '127.0.0.1');
  socket.resume();
  const acks: number[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (p) => {
    if (p.cmd === 'puback' && p.messageId !== undefined) acks.push(p.messageId);
  });
  socket.on('data', (d: Buffer) => parser.parse(d));
  try {
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: id,
        keepalive: 60,
        username: id,
        password: Buffer.from(token),
      }),
    );
    await eventually(() => (acks.length === 0 && bridge.broker?.connectedDevices() ? true : undefined), 10_000, 'connected');

    proxy.cut();
    // 20 MB of valid QoS 1 publishes: far more than socket buffers hold.
    const topic = `zenthos/${MODEL}/${id}/telemetry`;
    const count = 20_000;
    for (let i = 1; i <= count; i++) {
      const payload = JSON.stringify({ ...telemetryOf(id, MODEL), firmware_version: 'v'.padEnd(900, '0') });
      socket.write(mqttPacket.generate({ cmd: 'publish', topic, payload, qos: 1, messageId: (i % 65_535) + 1, retain: false, dup: false }));
    }
    await sleep(3_000);
    // The bridge holds only what it is working on; the rest waits in this client's send buffer.
    expect(acks).toEqual([]);
    expect(socket.writableLength).toBeGreaterThan(5_000_000);

    proxy.restore();
    await eventually(() => (acks.length >= count ? true : undefined), 90_000, 'every PUBACK');
    expect(socket.writableLength).toBe(0);
  } finally {
    socket.destroy();
  }
});

it('external-broker mode: a message Kafka could not take is not acknowledged, and arrives once Kafka is back', async () => {
  const mosquittoUrl = process.env.MOSQUITTO_URL ?? 'mqtt://127.0.0.1:1884';
  const root = `${h.prefix}-ext`;
  const external = await startBridge(
    h.config({
      KAFKA_BROKERS: `127.0.0.1:${proxy.port}`,
      MQTT_URL: mosquittoUrl,
      BRIDGE_MQTT_ROOT: root,
      BRIDGE_SHARE_GROUP: root,
      BRIDGE_CLIENT_ID: `${root}-bridge`,
      BRIDGE_EXTERNAL_CONNECTIONS: '1',
      // Fails fast, so the bridge drops the unacknowledged message and the broker redelivers it.
      BRIDGE_KAFKA_DELIVERY_TIMEOUT_MS: '2000',
    }),
    { logger: silentLogger },
  );
  const publisher = await mqtt.connectAsync(mosquittoUrl, { clientId: `${root}-pub`, reconnectPeriod: 0 });
  try {
    proxy.cut();
    const device = `${root}-dev`;
    const payload = telemetryOf(device, MODEL);
    await publisher.publishAsync(`${root}/${MODEL}/${device}/telemetry`, JSON.stringify(payload), { qos: 1 });
    // At least one delivery attempt times out while Kafka is away.
    await sleep(4_000);
    expect(await h.findByMessageId('telemetry.raw', payload.message_id)).toBeUndefined();
    proxy.restore();
    const record = await eventually(() => h.findByMessageId('telemetry.raw', payload.message_id), 60_000, 'the redelivered record');
    expect(record.key?.toString()).toBe(device);
  } finally {
    proxy.restore();
    await publisher.endAsync();
    await external.close();
    const ended = await mqtt.connectAsync(mosquittoUrl, {
      clientId: `${root}-bridge-0`,
      protocolVersion: 5,
      clean: true,
      properties: { sessionExpiryInterval: 0 },
    });
    await ended.endAsync();
  }
});
