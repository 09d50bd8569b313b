import { ZenthosError } from '@zenthos/core';
import type { IncomingRecord } from '@zenthos/kafka';
import { dlqHeaders, matchesFilter, parseDeadLetter, parseTime, REPLAYED_FROM_HEADER, toDeadLetter, toReplay } from './dead-letter';

const source: IncomingRecord = {
  topic: 'p.telemetry.raw',
  partition: 2,
  offset: '41',
  key: Buffer.from('dev-1'),
  value: Buffer.from([0, 0, 0, 0, 1, 2]),
  headers: { traceparent: Buffer.from('00-abc-def-01') },
  timestampMs: 5,
};

const roundTrip = (error: ZenthosError, nowMs = 1_000) => {
  const out = toDeadLetter(source, 'p.dlq', { error, processor: 'telemetry-enrich', pipeline: 'telemetry', nowMs });
  const headers = Object.fromEntries(Object.entries(out.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
  return parseDeadLetter({ ...source, topic: 'p.dlq', partition: 0, offset: '7', headers });
};

describe('dead letters', () => {
  it('keep the original bytes, key and headers and say why, where from and by whom', () => {
    const out = toDeadLetter(source, 'p.dlq', {
      error: new ZenthosError('ZEN_UNKNOWN_DEVICE', 'device dev-1 is not in the device registry'),
      processor: 'telemetry-enrich',
      pipeline: 'telemetry',
      nowMs: 1_000,
    });
    expect(out).toMatchObject({ topic: 'p.dlq', key: source.key, value: source.value });
    expect(out.headers).toMatchObject({
      traceparent: source.headers.traceparent,
      [dlqHeaders.reason]: 'ZEN_UNKNOWN_DEVICE',
      [dlqHeaders.processor]: 'telemetry-enrich',
      [dlqHeaders.sourceTopic]: 'p.telemetry.raw',
      [dlqHeaders.sourcePartition]: '2',
      [dlqHeaders.sourceOffset]: '41',
    });
  });

  it('parse back and replay to the source topic without the dlq headers', () => {
    const d = roundTrip(new ZenthosError('ZEN_UNKNOWN_DEVICE', 'unknown'));
    expect(d).toMatchObject({
      reason: 'ZEN_UNKNOWN_DEVICE',
      processor: 'telemetry-enrich',
      source: { topic: 'p.telemetry.raw', partition: 2, offset: '41' },
    });
    const replay = toReplay(d!);
    expect(replay.topic).toBe('p.telemetry.raw');
    expect(replay.value).toEqual(source.value);
    expect(Object.keys(replay.headers ?? {}).sort()).toEqual(['traceparent', REPLAYED_FROM_HEADER]);
    expect(replay.headers?.[REPLAYED_FROM_HEADER]).toBe('p.dlq/0/7');
  });

  it.each([
    [{}, true],
    [{ reason: 'ZEN_UNKNOWN_DEVICE' }, true],
    [{ reason: 'ZEN_TIMESTAMP_SKEW' }, false],
    [{ processor: 'telemetry-validate' }, false],
    [{ sourceTopic: 'p.telemetry.raw', sinceMs: 999, untilMs: 1_001 }, true],
    [{ sinceMs: 1_001 }, false],
  ])('filter %j matches: %s', (filter, expected) => {
    expect(matchesFilter(roundTrip(new ZenthosError('ZEN_UNKNOWN_DEVICE', 'x'))!, filter)).toBe(expected);
  });

  it('ignores records without dlq headers', () => {
    expect(parseDeadLetter(source)).toBeUndefined();
  });

  it.each([
    ['30m', 10_000_000 - 1_800_000],
    ['2h', 10_000_000 - 7_200_000],
    ['2026-11-30T10:00:00Z', Date.UTC(2026, 10, 30, 10)],
    ['yesterday-ish', undefined],
  ])('parseTime(%s)', (text, expected) => {
    expect(parseTime(text, 10_000_000)).toBe(expected);
  });
});
