import { BRIDGE_NICE, defaultPorts, planServices, serviceNames, startWaves, type PlatformNames } from './services';

const names: PlatformNames = {
  topicPrefix: 't1',
  rabbitPrefix: 'r1.',
  redisPrefix: 'x:',
  registryTopic: '_schemas_t1',
  databaseUrl: 'postgres://u:p@127.0.0.1:5432/db1',
  storageDir: '/s',
  keysDir: '/k',
  logLevel: 'warn',
};

describe('planServices', () => {
  it('plans every service with its own prefix variables and ready URL', () => {
    const specs = planServices(defaultPorts, names);
    expect(specs.map((s) => s.name)).toEqual([...serviceNames]);
    const byName = Object.fromEntries(specs.map((s) => [s.name, s]));
    expect(byName.bridge?.env).toMatchObject({
      BRIDGE_TOPIC_PREFIX: 't1',
      BRIDGE_MQTT_PORT: '1883',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081',
    });
    expect(byName['processor-status']?.args).toEqual(['run', 'processor', '--name', 'status']);
    expect(byName['processor-status']?.readyUrl).toBe('http://127.0.0.1:9474/ready');
    expect(byName.sink?.env).toMatchObject({
      SINK_TOPIC_PREFIX: 't1',
      SINK_GROUP_ID: 't1-timescale-sink',
      DATABASE_URL: names.databaseUrl,
    });
    expect(byName.rabbit?.env).toMatchObject({ RABBIT_TOPIC_PREFIX: 't1', RABBIT_NAME_PREFIX: 'r1.' });
    expect(byName.alerts?.env).toMatchObject({ RABBIT_NAME_PREFIX: 'r1.' });
    expect(byName.ota?.env).toMatchObject({
      OTA_REDIS_PREFIX: 'x:',
      OTA_PUBLIC_URL: 'http://127.0.0.1:8080',
      ZENTHOS_KEYS_DIR: '/k',
      OTA_STATUS_TOPIC: 't1.status.enriched',
      OTA_STATUS_GROUP_ID: 't1-ota-status',
      OTA_NOTIFICATIONS_TOPIC: 't1.ota.notifications',
    });
    expect(byName.registry?.env).toMatchObject({ SCHEMA_REGISTRY_TOPIC: '_schemas_t1', SCHEMA_REGISTRY_PORT: '8081' });
  });

  it('runs the bridge at a lower CPU priority than the stages that drain after it', () => {
    const nices = Object.fromEntries(planServices(defaultPorts, names).map((s) => [s.name, s.nice ?? 0]));
    expect(BRIDGE_NICE).toBeGreaterThan(0);
    expect(nices).toEqual({ ...Object.fromEntries(serviceNames.map((n) => [n, 0])), bridge: BRIDGE_NICE });
  });

  it('leaves services out on request', () => {
    expect(planServices(defaultPorts, { ...names, without: ['alerts', 'processor-status'] }).map((s) => s.name)).not.toContain('alerts');
  });
});

describe('startWaves', () => {
  it('starts the registry first, the alerts worker after the RabbitMQ bridge', () => {
    const waves = startWaves(planServices(defaultPorts, names)).map((w) => w.map((s) => s.name));
    expect(waves).toEqual([['registry'], ['bridge', 'processor-telemetry', 'processor-status', 'sink', 'rabbit', 'ota'], ['alerts']]);
  });

  it('starts a service whose dependency was left out', () => {
    const waves = startWaves(planServices(defaultPorts, { ...names, without: ['rabbit'] })).map((w) => w.map((s) => s.name));
    expect(waves[0]).toContain('alerts');
  });
});
