import { sumSamples } from './prometheus';

const text = [
  '# HELP zenthos_worker_processing_time_seconds Time of one batch',
  '# TYPE zenthos_worker_processing_time_seconds histogram',
  'zenthos_worker_processing_time_seconds_count{queue="a.raw",outcome="committed",otel_scope_name="s"} 30',
  'zenthos_worker_processing_time_seconds_count{queue="b.raw",outcome="committed",otel_scope_name="s"} 12',
  'zenthos_worker_processing_time_seconds_count{queue="a.raw",outcome="aborted",otel_scope_name="s"} 2',
  'zenthos_worker_processing_time_seconds_count_total{outcome="committed"} 999',
  'zenthos_worker_processing_time_seconds_sum{queue="a.raw",outcome="committed",otel_scope_name="s"} 0.62',
  'up 1',
].join('\n');

describe('sumSamples', () => {
  it('adds the samples of one metric whose labels match', () => {
    expect(sumSamples(text, 'zenthos_worker_processing_time_seconds_count', { outcome: 'committed' })).toBe(42);
    expect(sumSamples(text, 'zenthos_worker_processing_time_seconds_count', { outcome: 'aborted' })).toBe(2);
    expect(sumSamples(text, 'zenthos_worker_processing_time_seconds_count')).toBe(44);
  });

  it('does not take a longer metric name for the one asked for, and answers 0 when nothing matches', () => {
    expect(sumSamples(text, 'zenthos_worker_processing_time_seconds_count', { queue: 'c.raw' })).toBe(0);
    expect(sumSamples(text, 'up')).toBe(1);
    expect(sumSamples(text, 'missing')).toBe(0);
  });
});
