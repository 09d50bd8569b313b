/**
 * Span names of the trace that follows one device message (spec §10, DESIGN.md): the bridge
 * starts `mqtt.receive` (child of the device's `traceparent` user property when it sent one),
 * then `middleware.handle` and `kafka.produce`; each processor adds `stream.<processor>`; sinks
 * end with `db.write` or `rabbit.publish`, and RabbitMQ consumers with `worker.process`.
 */
export const spanNames = {
  mqttReceive: 'mqtt.receive',
  middlewareHandle: 'middleware.handle',
  kafkaProduce: 'kafka.produce',
  kafkaConsume: 'kafka.consume',
  /** Prefix: `stream.validate`, `stream.enrich`, `stream.dedupe`. */
  streamProcess: 'stream.',
  dbWrite: 'db.write',
  rabbitPublish: 'rabbit.publish',
  workerProcess: 'worker.process',
  otaRequest: 'ota.request',
} as const;
