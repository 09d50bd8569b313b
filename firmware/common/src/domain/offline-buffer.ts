/** One message waiting for the broker; `seq` keeps the original order across resends. */
export interface QueuedMessage {
  readonly seq: number;
  readonly topic: string;
  readonly payload: Uint8Array;
}

/** A bounded FIFO of messages that could not be published (yet). */
export interface OfflineBuffer {
  /** Messages waiting. */
  readonly size: number;
  /** Messages dropped since creation because the buffer was full. */
  readonly dropped: number;
  /** Adds at the end; when full, drops the oldest message and returns it. */
  push(message: QueuedMessage): QueuedMessage | undefined;
  /** Puts a message whose publish failed back in its original place (by `seq`). */
  requeue(message: QueuedMessage): QueuedMessage | undefined;
  /** Takes the oldest message. */
  shift(): QueuedMessage | undefined;
  /** The waiting messages, oldest first (a copy). */
  toArray(): QueuedMessage[];
}

/**
 * Creates an offline buffer holding at most `maxMessages`. When full the oldest message is
 * dropped: on a device with a few hundred KB of RAM, fresh readings are worth more than old ones,
 * and the drop is counted so the loss is visible.
 */
export const createOfflineBuffer = (maxMessages: number): OfflineBuffer => {
  if (!Number.isInteger(maxMessages) || maxMessages < 1) throw new RangeError('maxMessages must be a positive integer');
  const items: QueuedMessage[] = [];
  let dropped = 0;

  const trim = (): QueuedMessage | undefined => {
    if (items.length <= maxMessages) return undefined;
    dropped++;
    return items.shift();
  };

  return {
    get size() {
      return items.length;
    },
    get dropped() {
      return dropped;
    },
    push(message) {
      items.push(message);
      return trim();
    },
    requeue(message) {
      let i = 0;
      while (i < items.length && items[i]!.seq < message.seq) i++;
      items.splice(i, 0, message);
      return trim();
    },
    shift: () => items.shift(),
    toArray: () => items.slice(),
  };
};
