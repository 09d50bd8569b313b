import { parseProducerPerformance } from './producer-perf';

describe('parseProducerPerformance', () => {
  it('reads the final summary line of kafka-producer-perf-test', () => {
    const out = [
      '48001 records sent, 9598.3 records/sec (1.83 MB/sec), 40.1 ms avg latency, 212.0 ms max latency.',
      '100000 records sent, 9643.201542 records/sec (1.84 MB/sec), 52.03 ms avg latency, 250.00 ms max latency, 52 ms 50th, 98 ms 95th, 109 ms 99th, 240 ms 99.9th.',
    ].join('\n');
    expect(parseProducerPerformance(out)).toEqual({ records: 100000, perSecond: 9643.201542, avgMs: 52.03, p50Ms: 52, p99Ms: 109 });
  });

  it('reads an interim line without percentiles', () => {
    expect(parseProducerPerformance('5 records sent, 2.5 records/sec (0.00 MB/sec), 3.0 ms avg latency, 4.0 ms max latency.')).toEqual({
      records: 5,
      perSecond: 2.5,
      avgMs: 3,
    });
  });

  it('gives up on anything else', () => {
    expect(parseProducerPerformance('Exception in thread "main" org.apache.kafka.common.errors.TimeoutException')).toBeUndefined();
  });
});
