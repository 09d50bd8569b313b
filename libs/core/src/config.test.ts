import { commonEnv, env, loadConfig } from './config';
import { ZenthosError } from './errors';

const shape = {
  ...commonEnv,
  OTA_PORT: env.port(8080),
  MQTT_MAX_PACKET_BYTES: env.int(262_144, 1024),
  TOKEN_SECRET: env.string(),
  ENABLE_TLS: env.bool(false),
};

const failure = (source: Record<string, string>): ZenthosError => {
  try {
    loadConfig(shape, source);
  } catch (err) {
    return err as ZenthosError;
  }
  throw new Error('loadConfig accepted bad input');
};

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    const cfg = loadConfig(shape, { TOKEN_SECRET: 's', OTA_PORT: '9000', ENABLE_TLS: 'yes', KAFKA_BROKERS: 'a:1, b:2' });
    expect(cfg.OTA_PORT).toBe(9000);
    expect(cfg.ENABLE_TLS).toBe(true);
    expect(cfg.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(cfg.DATABASE_URL).toBe('postgres://zenthos:zenthos@127.0.0.1:5432/zenthos');
    expect(cfg.MQTT_MAX_PACKET_BYTES).toBe(262_144);
  });

  it('returns a frozen object', () => {
    const cfg = loadConfig(shape, { TOKEN_SECRET: 's' });
    expect(Object.isFrozen(cfg)).toBe(true);
  });

  it('names every missing and malformed variable in one error', () => {
    const err = failure({
      OTA_PORT: '70000',
      MQTT_MAX_PACKET_BYTES: 'lots',
      DATABASE_URL: 'mysql://x',
      KAFKA_BROKERS: 'no-port',
      ENABLE_TLS: 'maybe',
    });
    expect(err).toBeInstanceOf(ZenthosError);
    expect(err.code).toBe('ZEN_CONFIG_INVALID');
    for (const name of ['TOKEN_SECRET', 'OTA_PORT', 'MQTT_MAX_PACKET_BYTES', 'DATABASE_URL', 'KAFKA_BROKERS', 'ENABLE_TLS']) {
      expect(err.message).toContain(name);
    }
    expect(err.message).toContain('TOKEN_SECRET is missing');
  });

  it('treats an empty value as unset', () => {
    expect(failure({ TOKEN_SECRET: '' }).message).toContain('TOKEN_SECRET is missing');
    expect(loadConfig(shape, { TOKEN_SECRET: 's', OTA_PORT: '' }).OTA_PORT).toBe(8080);
  });
});
