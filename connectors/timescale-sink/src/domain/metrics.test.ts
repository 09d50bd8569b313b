import { createMetricRegistry, sinkMetricNames } from './metrics';

describe('createMetricRegistry', () => {
  it('renders counters with labels and histograms in Prometheus text', () => {
    const registry = createMetricRegistry();
    const rows = registry.counter(sinkMetricNames.rowsWritten, 'rows');
    const latency = registry.histogram(sinkMetricNames.writeLatencyMs, 'ms', [10, 100]);
    rows.add(3, { table: 'telemetry_raw' });
    rows.add(2, { table: 'telemetry_raw' });
    latency.record(5);
    latency.record(50);
    latency.record(500);
    const text = registry.render();
    expect(rows.value({ table: 'telemetry_raw' })).toBe(5);
    expect(text).toContain('zenthos_sink_rows_written_total{table="telemetry_raw"} 5');
    expect(text).toContain('zenthos_sink_write_latency_ms_bucket{le="10"} 1');
    expect(text).toContain('zenthos_sink_write_latency_ms_bucket{le="100"} 2');
    expect(text).toContain('zenthos_sink_write_latency_ms_bucket{le="+Inf"} 3');
    expect(text).toContain('zenthos_sink_write_latency_ms_sum 555');
  });
});
