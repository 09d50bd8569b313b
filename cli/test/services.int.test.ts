import { randomUUID } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import mqtt from 'mqtt';
import { Client } from 'pg';
import { loadStackConfig } from '../src/stack/config';

// Round trips through each service of the running stack (`zenthos stack up`).
const cfg = loadStackConfig();

describe('local stack services', () => {
  it('PostgreSQL answers a query in the zenthos database', async () => {
    const client = new Client({ connectionString: cfg.DATABASE_URL });
    await client.connect();
    try {
      const table = `test_${randomUUID().replace(/-/g, '')}`;
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text)`);
      await client.query(`INSERT INTO ${table} VALUES (1, 'hello')`);
      const res = await client.query<{ db: string; note: string }>(`SELECT current_database() AS db, note FROM ${table}`);
      await client.query(`DROP TABLE ${table}`);
      expect(res.rows).toEqual([{ db: 'zenthos', note: 'hello' }]);
    } finally {
      await client.end();
    }
  });

  it('RabbitMQ publishes with confirms and delivers to a consumer', async () => {
    const conn = await amqp.connect(cfg.AMQP_URL);
    try {
      const ch = await conn.createConfirmChannel();
      const queue = `test.${randomUUID()}`;
      await ch.assertQueue(queue, { durable: false, autoDelete: true });
      const body = JSON.stringify({ id: randomUUID(), type: 'telemetry' });
      await new Promise<void>((resolve, reject) => ch.sendToQueue(queue, Buffer.from(body), {}, (err) => (err ? reject(err) : resolve())));
      const msg = await new Promise<amqp.ConsumeMessage>((resolve) => {
        void ch.consume(queue, (m) => m && resolve(m));
      });
      ch.ack(msg);
      expect(msg.content.toString()).toBe(body);
      await ch.deleteQueue(queue);
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  it('Redis stores and returns a value', async () => {
    const redis = new Redis(cfg.REDIS_URL);
    try {
      const key = `test:${randomUUID()}`;
      await redis.set(key, 'esp32', 'EX', 60);
      expect(await redis.get(key)).toBe('esp32');
      await redis.del(key);
      expect(await redis.get(key)).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('Mosquitto delivers a QoS 1 publish to a subscriber (mqtt.js)', async () => {
    const topic = `test/${randomUUID()}`;
    const sub = await mqtt.connectAsync(cfg.MOSQUITTO_URL, { clientId: `sub-${randomUUID()}` });
    const pub = await mqtt.connectAsync(cfg.MOSQUITTO_URL, { clientId: `pub-${randomUUID()}` });
    try {
      await sub.subscribeAsync(topic, { qos: 1 });
      const got = new Promise<string>((resolve) => sub.on('message', (_t, payload) => resolve(payload.toString())));
      await pub.publishAsync(topic, 'hello', { qos: 1 });
      expect(await got).toBe('hello');
    } finally {
      await Promise.all([sub.endAsync(), pub.endAsync()]);
    }
  });

  it('Mosquitto works with its own command-line clients', async () => {
    const url = new URL(cfg.MOSQUITTO_URL);
    const topic = `test/${randomUUID()}`;
    const sub = spawn('mosquitto_sub', ['-h', url.hostname, '-p', url.port, '-t', topic, '-C', '1', '-W', '20', '-q', '1']);
    let out = '';
    sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => sub.on('exit', resolve));
    // Publish until the subscriber (which starts asynchronously) has seen one message.
    for (let i = 0; i < 40 && sub.exitCode === null; i++) {
      spawnSync('mosquitto_pub', ['-h', url.hostname, '-p', url.port, '-t', topic, '-m', 'from-cli', '-q', '1']);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(await exited).toBe(0);
    expect(out.trim()).toBe('from-cli');
  });
});
