import { connect, type Channel, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { ZenthosError } from '@zenthos/core';
import type { RabbitTopology } from '../domain/topology';

/** A connection with one confirm channel (publisher confirms, RabbitMQ's "publisher acks"). */
export interface AmqpSession {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** Resolves when the connection or the channel closes, for whatever reason. */
  readonly closed: Promise<Error | undefined>;
  close(): Promise<void>;
}

/** Wraps an amqplib failure as a retriable ZEN_RABBIT_PUBLISH_FAILED (broker down or restarting). */
export const toRabbitError = (err: unknown): ZenthosError =>
  err instanceof ZenthosError
    ? err
    : new ZenthosError('ZEN_RABBIT_PUBLISH_FAILED', `rabbitmq: ${(err as Error).message ?? String(err)}`, true, { cause: err });

/** Opens a connection and a confirm channel; a lost connection is reported through `closed`. */
export async function openAmqpSession(url: string, clientName: string): Promise<AmqpSession> {
  let connection: ChannelModel;
  try {
    connection = await connect(url, { clientProperties: { connection_name: clientName } });
  } catch (err) {
    throw toRabbitError(err);
  }
  let resolveClosed!: (err: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (resolveClosed = resolve));
  // amqplib emits 'error' before 'close'; without a listener the error would end the process.
  connection.on('error', (err: Error) => resolveClosed(err));
  connection.on('close', (err?: Error) => resolveClosed(err ?? new Error('connection closed')));
  let channel: ConfirmChannel;
  try {
    channel = await connection.createConfirmChannel();
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw toRabbitError(err);
  }
  channel.on('error', (err: Error) => resolveClosed(err));
  channel.on('close', () => resolveClosed(new Error('channel closed')));
  return {
    connection,
    channel,
    closed,
    close: async () => {
      await channel.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}

/**
 * Declares spec §7's objects, idempotently: the topic exchange, and per queue a durable quorum
 * queue with its dead-letter exchange `dlx.<queue>` (fanout) and a quorum queue of the same
 * name bound to it, which is where dead-lettered messages wait for an operator.
 */
export async function declareTopology(channel: Channel, topology: RabbitTopology): Promise<void> {
  await channel.assertExchange(topology.exchange, 'topic', { durable: true });
  for (const q of Object.values(topology.queues)) {
    await channel.assertExchange(q.deadLetter, 'fanout', { durable: true });
    await channel.assertQueue(q.deadLetter, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(q.deadLetter, q.deadLetter, '');
    await channel.assertQueue(q.name, { durable: true, arguments: { ...q.arguments } });
    await channel.bindQueue(q.name, topology.exchange, q.bindingKey);
  }
}

/** Deletes a topology's exchanges and queues (tests clean up their random names with it). */
export async function deleteTopology(channel: Channel, topology: RabbitTopology): Promise<void> {
  for (const q of Object.values(topology.queues)) {
    await channel.deleteQueue(q.name).catch(() => undefined);
    await channel.deleteQueue(q.deadLetter).catch(() => undefined);
    await channel.deleteExchange(q.deadLetter).catch(() => undefined);
  }
  await channel.deleteExchange(topology.exchange).catch(() => undefined);
}

/**
 * Publishes one message and resolves once the broker confirmed it; waits for 'drain' when the
 * channel's write buffer is full (flow control) instead of buffering without bound.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Parameters<ConfirmChannel['publish']>[3],
): { confirmed: Promise<void>; drained: Promise<void> } {
  let drained: Promise<void> = Promise.resolve();
  const confirmed = new Promise<void>((resolve, reject) => {
    const ok = channel.publish(exchange, routingKey, content, options, (err) => (err ? reject(toRabbitError(err)) : resolve()));
    if (!ok)
      drained = new Promise((r) => {
        channel.once('drain', () => r());
        channel.once('close', () => r());
      });
  });
  // Handled here so a confirm failing before the caller awaits it is not an unhandled rejection.
  confirmed.catch(() => undefined);
  return { confirmed, drained };
}
