import { isZenthosError } from '@zenthos/core';
import { deviceIdsFor, parseDurationMs, parseSimOptions, type RawSimOptions } from './options';

const parse = (raw: RawSimOptions) => parseSimOptions(raw, { register: 'db' });
const problemOf = (raw: RawSimOptions): string => {
  try {
    parse(raw);
  } catch (err) {
    if (isZenthosError(err, 'ZEN_BAD_REQUEST')) return err.message;
    throw err;
  }
  throw new Error('accepted');
};

describe('parseDurationMs', () => {
  it.each([
    ['30', 30_000],
    ['1.5', 1_500],
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    [' 10s ', 10_000],
  ])('%s → %d ms', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', 'abc', '-5', '5d', '1e3', '10 s'])('refuses %p', (text) => expect(parseDurationMs(text)).toBeUndefined());
});

describe('parseSimOptions', () => {
  it('has defaults for everything', () => {
    expect(parse({})).toEqual({
      devices: 10,
      ratePerDevice: 1,
      durationMs: 60_000,
      ota: false,
      model: 'esp32-s3',
      idPrefix: 'sim',
      firmwareVersion: 'v0.1.0',
      otaCheckIntervalMs: 10_000,
      register: 'db',
      rampUpMs: 200,
    });
  });

  it('reads every flag', () => {
    const o = parse({
      devices: '100',
      rate: '0.5',
      duration: '2m',
      ota: true,
      model: 'esp32-cam',
      prefix: 'demo',
      firmwareVersion: 'v1.2.3',
      otaCheckInterval: '5s',
      register: 'api',
      rampUp: '0',
    });
    expect(o).toEqual({
      devices: 100,
      ratePerDevice: 0.5,
      durationMs: 120_000,
      ota: true,
      model: 'esp32-cam',
      idPrefix: 'demo',
      firmwareVersion: 'v1.2.3',
      otaCheckIntervalMs: 5_000,
      register: 'api',
      rampUpMs: 0,
    });
  });

  it.each<[string, RawSimOptions, string]>([
    ['zero devices', { devices: '0' }, '--devices "0"'],
    ['too many devices', { devices: '10001' }, '--devices "10001"'],
    ['fractional devices', { devices: '2.5' }, '--devices "2.5"'],
    ['zero rate', { rate: '0' }, '--rate "0"'],
    ['text rate', { rate: 'fast' }, '--rate "fast"'],
    ['empty rate', { rate: '' }, '--rate ""'],
    ['bad duration', { duration: 'forever' }, '--duration "forever"'],
    ['too short duration', { duration: '100ms' }, '--duration "100ms"'],
    ['bad model', { model: 'esp32 s3' }, '--model "esp32 s3"'],
    ['bad prefix', { prefix: '-x' }, '--prefix "-x"'],
    ['bad version', { firmwareVersion: '1.0' }, '--firmware-version "1.0"'],
    ['bad register mode', { register: 'ldap' }, '--register "ldap"'],
  ])('refuses %s', (_name, raw, expected) => {
    expect(problemOf(raw)).toContain(expected);
  });

  it('names every problem in one error', () => {
    const message = problemOf({ devices: 'x', rate: '-1', duration: 'y' });
    expect(message).toContain('--devices');
    expect(message).toContain('--rate');
    expect(message).toContain('--duration');
  });
});

describe('deviceIdsFor', () => {
  it('numbers devices with zero padding', () => {
    expect(deviceIdsFor('sim', 'esp32-s3', 3)).toEqual(['sim-esp32-s3-0001', 'sim-esp32-s3-0002', 'sim-esp32-s3-0003']);
    expect(deviceIdsFor('d', 'm', 10_000)[9_999]).toBe('d-m-10000');
    expect(deviceIdsFor('d', 'm', 10_000)[0]).toBe('d-m-00001');
  });
});
