import { loadProcessorConfig, defaultSensorRanges } from './config';

describe('processor configuration', () => {
  it('has working defaults', () => {
    const c = loadProcessorConfig({});
    expect(c.STREAMS_TOPIC_PREFIX).toBe('zenthos');
    expect(c.PROCESSOR_DEDUPE_WINDOW_MS).toBe(86_400_000);
    expect(c.PROCESSOR_SENSOR_RANGES).toEqual(defaultSensorRanges);
  });

  it('reads sensor ranges per model from JSON', () => {
    const c = loadProcessorConfig({ PROCESSOR_SENSOR_RANGES: '{"esp32-s3":{"co2_ppm":[400,5000]}}' });
    expect(c.PROCESSOR_SENSOR_RANGES).toEqual({ 'esp32-s3': { co2_ppm: [400, 5000] } });
  });

  it('names every bad variable in one error', () => {
    expect(() => loadProcessorConfig({ PROCESSOR_SENSOR_RANGES: '{nope', STREAMS_TOPIC_PREFIX: 'Bad Prefix' })).toThrow(
      expect.objectContaining({
        code: 'ZEN_CONFIG_INVALID',
        message: expect.stringMatching(
          /PROCESSOR_SENSOR_RANGES .*must be JSON.*STREAMS_TOPIC_PREFIX|STREAMS_TOPIC_PREFIX.*PROCESSOR_SENSOR_RANGES/,
        ),
      }),
    );
  });
});
