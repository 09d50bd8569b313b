import { startRegistryStub, createTcpProxy, type RegistryStub } from '@zenthos/testing';
import { rabbitTopology } from '../src/domain/topology';
import { deleteTopology } from '../src/adapters/amqp';
import { startBridge } from '../src/main';
import { createTopics, drain, openReader, produceTelemetry, rabbitEnv, randomPrefix, stack, telemetry } from './support';

describe('rabbitmq bridge against Kafka and RabbitMQ', () => {
  let registry: RegistryStub;
  beforeAll(async () => {
    registry = await startRegistryStub();
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('publishes spec §7 envelopes to sensor_data with the message id, routing key and trace context', async () => {
    const prefix = randomPrefix();
    const topics = await createTopics(prefix);
    const reader = await openReader();
    const bridge = await startBridge(rabbitEnv(prefix, registry.url));
    try {
      const values = telemetry(200);
      const traces = await produceTelemetry(registry.url, prefix, values);
      const got = await drain(reader.channel, `${prefix}.sensor_data`, (all) => all.length >= 200, 60_000);
      expect(got).toHaveLength(200);
      const byId = new Map(values.map((v) => [v.message_id, v]));
      for (const msg of got) {
        const envelope = JSON.parse(msg.content.toString()) as Record<string, unknown>;
        expect(Object.keys(envelope).sort()).toEqual(['device_id', 'id', 'payload', 'timestamp', 'type']);
        const source = byId.get(envelope.id as string)!;
        expect(envelope).toMatchObject({ type: 'telemetry', device_id: source.device_id, timestamp: source.timestamp });
        expect((envelope.payload as { sensors: unknown }).sensors).toEqual(source.sensors);
        expect(msg.fields.routingKey).toBe('sensor.esp32-s3');
        expect(msg.fields.exchange).toBe(`${prefix}.ingest.exchange`);
        expect(msg.properties.messageId).toBe(source.message_id);
        expect(msg.properties.deliveryMode).toBe(2);
        expect(msg.properties.contentType).toBe('application/json');
        expect(msg.properties.headers?.traceparent).toBe(traces.get(source.message_id));
      }
      expect(new Set(got.map((m) => m.properties.messageId)).size).toBe(200);
    } finally {
      await bridge.close();
      await deleteTopology(reader.channel, rabbitTopology(`${prefix}.`, 5));
      await reader.connection.close();
      await topics.remove();
    }
  }, 120_000);

  it('delivers every record at least once when RabbitMQ goes away mid-stream', async () => {
    const prefix = randomPrefix();
    const topics = await createTopics(prefix);
    const reader = await openReader();
    const amqp = new URL(stack.AMQP_URL);
    // Cutting a proxy is what a RabbitMQ restart looks like to the bridge, without touching the shared broker.
    const proxy = await createTcpProxy(Number(amqp.port || 5672), amqp.hostname);
    const viaProxy = new URL(stack.AMQP_URL);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const bridge = await startBridge(rabbitEnv(prefix, registry.url, { AMQP_URL: viaProxy.toString(), RABBIT_BATCH_SIZE: '100' }));
    try {
      const values = telemetry(3_000);
      await produceTelemetry(registry.url, prefix, values.slice(0, 1_500));
      const first = await drain(reader.channel, `${prefix}.sensor_data`, (all) => all.length >= 300, 60_000);
      await proxy.cut();
      await produceTelemetry(registry.url, prefix, values.slice(1_500));
      await new Promise((r) => setTimeout(r, 2_000));
      const ready = await fetch(`http://127.0.0.1:${bridge.opsPort}/ready`);
      expect(ready.status).toBe(503);
      await proxy.restore();
      const ids = new Set(first.map((m) => m.properties.messageId as string));
      const rest = await drain(
        reader.channel,
        `${prefix}.sensor_data`,
        (all) => {
          for (const m of all.slice(-1)) ids.add(m.properties.messageId as string);
          return ids.size >= 3_000;
        },
        90_000,
      );
      for (const m of rest) ids.add(m.properties.messageId as string);
      expect(values.filter((v) => !ids.has(v.message_id))).toEqual([]);
      // Repeats are possible (at least once); the envelope id lets consumers drop them.
      expect(first.length + rest.length).toBeGreaterThanOrEqual(3_000);
      expect(proxy.connections).toBeGreaterThan(1);
    } finally {
      await bridge.close();
      await proxy.close();
      await deleteTopology(reader.channel, rabbitTopology(`${prefix}.`, 5));
      await reader.connection.close();
      await topics.remove();
    }
  }, 180_000);
});
