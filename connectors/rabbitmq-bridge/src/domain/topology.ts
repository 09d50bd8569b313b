/** A quorum queue with its binding and its own dead-letter exchange and queue. */
export interface QueueSpec {
  readonly name: string;
  /** Binding key on the ingest exchange (topic exchange wildcards). */
  readonly bindingKey: string;
  /** `dlx.<queue>`: a fanout exchange and a queue of the same name that keeps what was dead-lettered. */
  readonly deadLetter: string;
  /** Queue arguments (RabbitMQ quorum queues). */
  readonly arguments: Readonly<Record<string, string | number>>;
}

/** The RabbitMQ objects of spec §7, as data: declared by both the bridge and the alerts worker. */
export interface RabbitTopology {
  readonly exchange: string;
  readonly queues: { readonly sensorData: QueueSpec; readonly alerts: QueueSpec; readonly firmwareJobs: QueueSpec };
}

const queue = (prefix: string, base: string, bindingKey: string, deliveryLimit: number): QueueSpec => {
  const name = `${prefix}${base}`;
  const deadLetter = `dlx.${name}`;
  return {
    name,
    bindingKey,
    deadLetter,
    arguments: {
      // Durable, replicated queues (DESIGN.md: durable quorum queues).
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': deadLetter,
      // At-least-once dead-lettering: a message leaves the queue only once dlx.<queue> has
      // confirmed it. RabbitMQ requires reject-publish overflow for this strategy.
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      // spec §11: a message that keeps failing goes to the DLQ after N attempts.
      'x-delivery-limit': deliveryLimit,
    },
  };
};

/**
 * Names and arguments for a prefix (`''` in production): exchange `ingest.exchange` (topic),
 * queues `sensor_data` (bound `sensor.*`), `alerts` (`alert.#`) and `firmware_jobs`
 * (`firmware.#`), each with its dead-letter exchange `dlx.<queue>`.
 */
export function rabbitTopology(prefix: string, deliveryLimit: number): RabbitTopology {
  return {
    exchange: `${prefix}ingest.exchange`,
    queues: {
      sensorData: queue(prefix, 'sensor_data', 'sensor.*', deliveryLimit),
      alerts: queue(prefix, 'alerts', 'alert.#', deliveryLimit),
      firmwareJobs: queue(prefix, 'firmware_jobs', 'firmware.#', deliveryLimit),
    },
  };
}
