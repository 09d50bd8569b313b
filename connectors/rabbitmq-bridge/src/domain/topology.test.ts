import { rabbitTopology } from './topology';

describe('rabbitTopology', () => {
  it('declares spec §7 names with per-queue dead-letter exchanges', () => {
    const t = rabbitTopology('', 5);
    expect(t.exchange).toBe('ingest.exchange');
    expect(Object.values(t.queues).map((q) => [q.name, q.bindingKey, q.deadLetter])).toEqual([
      ['sensor_data', 'sensor.*', 'dlx.sensor_data'],
      ['alerts', 'alert.#', 'dlx.alerts'],
      ['firmware_jobs', 'firmware.#', 'dlx.firmware_jobs'],
    ]);
  });

  it('makes durable quorum queues with at-least-once dead-lettering and a delivery limit', () => {
    const q = rabbitTopology('test1.', 3).queues.sensorData;
    expect(q.name).toBe('test1.sensor_data');
    expect(q.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': 'dlx.test1.sensor_data',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-delivery-limit': 3,
    });
  });
});
