import { randomUUID } from 'node:crypto';
import { createLogger, ZenthosError } from '@zenthos/core';
import { createTemporaryDatabase, type TemporaryDatabase } from '@zenthos/db';
import type { Envelope } from '../src/domain/envelope';
import { rabbitTopology } from '../src/domain/topology';
import { declareTopology, deleteTopology } from '../src/adapters/amqp';
import { createAlertsStore, type AlertsStore } from '../src/adapters/alerts-store';
import { startAlertsWorker } from '../src/adapters/alerts-worker';
import { startAlerts } from '../src/main';
import { registerRabbitCommands } from '../src/cli';
import { Command } from 'commander';
import { drain, openReader, rabbitEnv, randomPrefix, stack } from './support';

const reading = (value: number, timestamp: number, id = randomUUID()): Envelope => ({
  id,
  type: 'telemetry',
  device_id: 'esp32-s3-001',
  timestamp,
  payload: { device_model: 'esp32-s3', sensors: { temperature: value, humidity: 40 } },
});

const silentLogger = createLogger({ service: 'test', level: 'silent' });

describe('alerts worker against RabbitMQ and Postgres', () => {
  let db: TemporaryDatabase;
  beforeAll(async () => {
    db = await createTemporaryDatabase(stack.DATABASE_URL);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('fires once per breach window, writes the alerts table and publishes alert envelopes', async () => {
    const prefix = randomPrefix();
    const topology = rabbitTopology(`${prefix}.`, 5);
    const reader = await openReader();
    const store = createAlertsStore(db.pool);
    const rule = await store.addRule({
      deviceModel: 'esp32-s3',
      sensor: 'temperature',
      op: '>',
      threshold: 30,
      windowS: 300,
      severity: 'critical',
    });
    await store.addRule({ deviceModel: 'esp32-cam', sensor: 'temperature', op: '>', threshold: 0, windowS: 300, severity: 'info' });
    const worker = await startAlerts(rabbitEnv(prefix, '', { DATABASE_URL: db.url }));
    try {
      await declareTopology(reader.channel, topology);
      const t0 = 1_764_460_800; // a window boundary (multiple of 300)
      const first = reading(35, t0 + 10);
      const sequence = [
        first,
        reading(36, t0 + 20),
        reading(20, t0 + 30),
        first /* redelivered */,
        reading(33, t0 + 290),
        reading(40, t0 + 310),
      ];
      for (const r of sequence)
        reader.channel.publish(topology.exchange, 'sensor.esp32-s3', Buffer.from(JSON.stringify(r)), { persistent: true });

      const alerts = await drain(reader.channel, topology.queues.alerts.name, (all) => all.length >= 2, 30_000);
      // Nothing more comes for the rest of the sequence.
      await new Promise((r) => setTimeout(r, 1_500));
      alerts.push(...(await drain(reader.channel, topology.queues.alerts.name, () => false, 500)));
      expect(alerts).toHaveLength(2);
      const bodies = alerts.map((m) => JSON.parse(m.content.toString()) as Envelope).sort((a, b) => a.timestamp - b.timestamp);
      expect(bodies.map((b) => [b.type, b.timestamp, b.payload.value, b.payload.window_start])).toEqual([
        ['alert', t0 + 10, 35, t0],
        ['alert', t0 + 310, 40, t0 + 300],
      ]);
      expect(bodies[0]).toMatchObject({
        device_id: 'esp32-s3-001',
        payload: { rule_id: rule.id, severity: 'critical', message_id: first.id },
      });
      expect(alerts.every((m) => m.fields.routingKey === 'alert.esp32-s3')).toBe(true);

      const rows = await db.pool.query<{ id: string; value: number; published: boolean }>(
        'SELECT id, value, published_at IS NOT NULL AS published FROM alerts ORDER BY time',
      );
      expect(rows.rows.map((r) => [r.id, r.value, r.published])).toEqual([
        [bodies[0]!.id, 35, true],
        [bodies[1]!.id, 40, true],
      ]);
      // Every reading was acknowledged after handling.
      const q = await reader.channel.checkQueue(topology.queues.sensorData.name);
      expect(q.messageCount).toBe(0);
    } finally {
      await worker.close();
      await deleteTopology(reader.channel, topology);
      await reader.connection.close();
    }
  }, 90_000);

  it('rejects a message that is not an envelope to dlx.sensor_data', async () => {
    const prefix = randomPrefix();
    const topology = rabbitTopology(`${prefix}.`, 5);
    const reader = await openReader();
    const worker = await startAlerts(rabbitEnv(prefix, '', { DATABASE_URL: db.url }));
    try {
      await declareTopology(reader.channel, topology);
      reader.channel.publish(topology.exchange, 'sensor.esp32-s3', Buffer.from('{"not": "an envelope"'), {
        persistent: true,
        messageId: 'poison-1',
      });
      const dead = await drain(reader.channel, topology.queues.sensorData.deadLetter, (all) => all.length >= 1, 30_000);
      expect(dead).toHaveLength(1);
      expect(dead[0]?.properties.messageId).toBe('poison-1');
      const deaths = dead[0]?.properties.headers?.['x-death'] as { queue: string; reason: string }[] | undefined;
      expect(deaths?.[0]).toMatchObject({ queue: topology.queues.sensorData.name, reason: 'rejected' });
    } finally {
      await worker.close();
      await deleteTopology(reader.channel, topology);
      await reader.connection.close();
    }
  }, 60_000);

  it('dead-letters a message whose handling keeps failing once the delivery limit is reached', async () => {
    const prefix = randomPrefix();
    const topology = rabbitTopology(`${prefix}.`, 2);
    const reader = await openReader();
    let attempts = 0;
    // A database that is always down: every delivery fails with a retriable error.
    const failing: AlertsStore = {
      listRules: async () => [{ id: 1, deviceModel: '*', sensor: 'temperature', op: '>', threshold: 0, windowS: 60, severity: 'warning' }],
      addRule: async () => {
        throw new Error('unused');
      },
      removeRule: async () => false,
      recordAlert: async () => {
        attempts++;
        throw new ZenthosError('ZEN_DB_WRITE_FAILED', 'postgres: connection refused', true);
      },
      markPublished: async () => undefined,
    };
    const worker = startAlertsWorker({
      amqpUrl: stack.AMQP_URL,
      topology,
      store: failing,
      prefetch: 10,
      rulesRefreshMs: 0,
      maxBackoffMs: 500,
      instruments: { processingTimeMs: { record: () => undefined }, alertsFired: { add: () => undefined } },
      logger: silentLogger,
    });
    try {
      await declareTopology(reader.channel, topology);
      reader.channel.publish(topology.exchange, 'sensor.esp32-s3', Buffer.from(JSON.stringify(reading(50, 1_764_460_800))), {
        persistent: true,
      });
      const dead = await drain(reader.channel, topology.queues.sensorData.deadLetter, (all) => all.length >= 1, 30_000);
      expect(dead).toHaveLength(1);
      // Delivered 1 + limit times, then dead-lettered by the queue itself.
      expect(attempts).toBe(3);
      const deaths = dead[0]?.properties.headers?.['x-death'] as { reason: string }[] | undefined;
      expect(deaths?.[0]?.reason).toBe('delivery_limit');
    } finally {
      await worker.stop();
      await deleteTopology(reader.channel, topology);
      await reader.connection.close();
    }
  }, 60_000);

  it('manages rules with zenthos alerts rules add, list and remove', async () => {
    const run = async (args: string[]): Promise<string> => {
      const program = new Command('zenthos').exitOverride();
      registerRabbitCommands(program);
      const saved = process.env.DATABASE_URL;
      const write = process.stdout.write.bind(process.stdout);
      let out = '';
      process.env.DATABASE_URL = db.url;
      process.stdout.write = ((chunk: string | Uint8Array) => {
        out += chunk.toString();
        return true;
      }) as typeof process.stdout.write;
      try {
        await program.parseAsync(['node', 'zenthos', 'alerts', 'rules', ...args]);
      } finally {
        process.stdout.write = write;
        process.env.DATABASE_URL = saved;
      }
      return out;
    };
    const added = JSON.parse(
      await run(['add', '--model', 'esp32-cam', '--sensor', 'humidity', '--op', '<', '--threshold', '10', '--window', '1h']),
    ) as {
      id: number;
    };
    expect(added).toMatchObject({
      deviceModel: 'esp32-cam',
      sensor: 'humidity',
      op: '<',
      threshold: 10,
      windowS: 3600,
      severity: 'warning',
    });
    expect(await run(['list'])).toContain(`${added.id}\tesp32-cam\thumidity\t<\t10\t3600\twarning`);
    await expect(run(['add', '--model', 'esp32-cam', '--sensor', 'humidity', '--op', '<', '--threshold', '10'])).rejects.toMatchObject({
      code: 'ZEN_CONFLICT',
    });
    await expect(run(['add', '--model', 'esp32-cam', '--sensor', 'humidity', '--op', '=', '--threshold', '10'])).rejects.toMatchObject({
      code: 'ZEN_ALERT_RULE_INVALID',
    });
    expect(await run(['remove', String(added.id)])).toBe(`removed rule ${added.id}\n`);
    expect(await run(['list'])).not.toContain('esp32-cam\thumidity');
  });
});
