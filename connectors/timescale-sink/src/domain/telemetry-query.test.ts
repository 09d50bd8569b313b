import type { ZenthosError } from '@zenthos/core';
import { buildTelemetrySql, formatTelemetryRows, parseBucket, parseSince } from './telemetry-query';

const now = Date.parse('2026-11-30T12:00:00Z');
const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ZenthosError).code;
  }
  return 'none';
};

describe('parseSince', () => {
  it.each([
    ['90s', now - 90_000],
    ['15m', now - 900_000],
    ['1h', now - 3_600_000],
    ['7d', now - 7 * 86_400_000],
    ['2026-11-29T00:00:00Z', Date.parse('2026-11-29T00:00:00Z')],
  ])('%s', (text, expected) => {
    expect(parseSince(text, now)).toBe(expected);
  });

  it('refuses anything else', () => {
    expect(codeOf(() => parseSince('yesterday', now))).toBe('ZEN_BAD_REQUEST');
    expect(codeOf(() => parseBucket('5m'))).toBe('ZEN_BAD_REQUEST');
  });
});

describe('buildTelemetrySql', () => {
  it('reads buckets from the rollup view, filtered by sensor', () => {
    const q = buildTelemetrySql({ deviceId: 'd1', sinceMs: now, bucket: parseBucket('1m'), sensor: 'temperature', limit: 10 });
    expect(q.text).toContain('FROM telemetry_1m WHERE device_id = $1');
    expect(q.text).toContain('AND sensor = $3');
    expect(q.values).toEqual(['d1', '2026-11-30T12:00:00.000Z', 'temperature']);
  });

  it('reads raw rows from the stored sensor map', () => {
    const q = buildTelemetrySql({ deviceId: 'd1', sinceMs: now, limit: 5 });
    expect(q.text).toContain('FROM telemetry_raw t');
    expect(q.text).toContain('LIMIT 5');
    expect(q.values).toHaveLength(2);
  });
});

describe('formatTelemetryRows', () => {
  it('prints a header and one tab-separated line per row', () => {
    const text = formatTelemetryRows([{ time: new Date(now), sensor: 'temperature', value: 21.25 }], false);
    expect(text).toBe('time\tsensor\tvalue\n2026-11-30T12:00:00.000Z\ttemperature\t21.250\n');
  });
});
