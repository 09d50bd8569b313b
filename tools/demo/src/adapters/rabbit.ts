import amqp from 'amqplib';

/**
 * A private, exclusive queue bound to `<prefix>ingest.exchange` with `sensor_data`'s binding key
 * (`sensor.*`, spec §7). It receives a copy of every envelope routed to `sensor_data`, so it
 * counts them even while the alerts worker consumes the real queue.
 */
export interface EnvelopeTap {
  /** Envelopes routed to sensor_data since the tap was opened. */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** Opens an {@link EnvelopeTap}; the exchange must exist (the RabbitMQ bridge declares it). */
export async function openEnvelopeTap(amqpUrl: string, rabbitPrefix: string): Promise<EnvelopeTap> {
  const connection = await amqp.connect(amqpUrl);
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
  await channel.bindQueue(queue, `${rabbitPrefix}ingest.exchange`, 'sensor.*');
  return {
    async count() {
      return (await channel.checkQueue(queue)).messageCount;
    },
    async close() {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/** A spec §7 envelope. */
export interface Envelope {
  readonly id: string;
  readonly type: string;
  readonly device_id: string;
  readonly timestamp: number;
  readonly payload: unknown;
}

/** Takes every envelope waiting in a queue (acknowledging them), up to `max`. */
export async function drainQueue(amqpUrl: string, queue: string, max = 100_000): Promise<Envelope[]> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const out: Envelope[] = [];
    while (out.length < max) {
      const message = await channel.get(queue, { noAck: true });
      if (message === false) break;
      out.push(JSON.parse(message.content.toString('utf8')) as Envelope);
    }
    return out;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Deletes the exchange and queues of a throw-away RabbitMQ name prefix (spec §7 names plus `dlx.`). */
export async function deleteRabbitObjects(amqpUrl: string, prefix: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    for (const base of ['sensor_data', 'alerts', 'firmware_jobs']) {
      await channel.deleteQueue(`${prefix}${base}`);
      await channel.deleteQueue(`dlx.${prefix}${base}`);
      await channel.deleteExchange(`dlx.${prefix}${base}`);
    }
    await channel.deleteExchange(`${prefix}ingest.exchange`);
  } finally {
    await connection.close().catch(() => undefined);
  }
}
