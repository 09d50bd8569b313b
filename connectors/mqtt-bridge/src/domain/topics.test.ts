import { authorizePublishTopic, authorizeSubscribeFilter, authorizeWillTopic, parseDeviceTopic } from './topics';

const me = { deviceId: 'esp32-s3-001', model: 'esp32-s3' };

describe('parseDeviceTopic', () => {
  it.each([
    ['zenthos/esp32-s3/esp32-s3-001/telemetry', { model: 'esp32-s3', deviceId: 'esp32-s3-001', kind: 'telemetry' }],
    ['zenthos/esp32-cam/cam-7/logs', { model: 'esp32-cam', deviceId: 'cam-7', kind: 'logs' }],
    ['zenthos/m/d/ota', undefined],
    ['zenthos/m/d/telemetry/extra', undefined],
    ['other/m/d/telemetry', undefined],
    ['zenthos//d/telemetry', undefined],
    ['zenthos/+/d/telemetry', undefined],
  ])('%s', (topic, expected) => {
    expect(parseDeviceTopic(topic, 'zenthos')).toEqual(expected);
  });
});

describe('authorizePublishTopic', () => {
  it.each([
    ['zenthos/esp32-s3/esp32-s3-001/telemetry', { kind: 'telemetry' }],
    ['zenthos/esp32-s3/esp32-s3-001/status', { kind: 'status' }],
    ['zenthos/esp32-s3/esp32-s3-001/inference', { kind: 'inference' }],
    ['zenthos/esp32-s3/esp32-s3-001/logs', { kind: 'logs' }],
    ['', 'empty_topic'],
    ['zenthos/esp32-s3/esp32-s3-002/telemetry', 'foreign_topic'],
    ['zenthos/esp32-cam/esp32-s3-001/telemetry', 'model_mismatch'],
    ['zenthos/esp32-s3/esp32-s3-001/ota', 'bad_topic'],
    ['zenthos/esp32-s3/esp32-s3-001/config', 'bad_topic'],
    ['zenthos/#', 'wildcard'],
    ['zenthos/esp32-s3/+/telemetry', 'wildcard'],
    ['$SYS/broker/uptime', 'sys_topic'],
    ['$share/g/zenthos/esp32-s3/esp32-s3-001/telemetry', 'sys_topic'],
    ['zenthos/esp32-s3/esp32-s3-001/telemetry/', 'bad_topic'],
  ])('%s → %p', (topic, outcome) => {
    const decision = authorizePublishTopic(me, topic, 'zenthos');
    expect(decision).toEqual(typeof outcome === 'object' ? { allowed: true, kind: outcome.kind } : { allowed: false, reason: outcome });
  });

  it('uses the configured root', () => {
    expect(authorizePublishTopic(me, 'zt-1/esp32-s3/esp32-s3-001/telemetry', 'zt-1')).toEqual({ allowed: true, kind: 'telemetry' });
    expect(authorizePublishTopic(me, 'zenthos/esp32-s3/esp32-s3-001/telemetry', 'zt-1')).toEqual({ allowed: false, reason: 'bad_topic' });
  });

  it('applies the same rule to Will topics', () => {
    expect(authorizeWillTopic(me, 'zenthos/esp32-s3/esp32-s3-001/status', 'zenthos')).toEqual({ allowed: true, kind: 'status' });
    expect(authorizeWillTopic(me, 'zenthos/esp32-s3/other/status', 'zenthos')).toEqual({ allowed: false, reason: 'foreign_topic' });
  });
});

describe('authorizeSubscribeFilter', () => {
  it.each([
    ['zenthos/esp32-s3/esp32-s3-001/ota', undefined],
    ['zenthos/esp32-s3/esp32-s3-002/ota', 'foreign_topic'],
    ['zenthos/esp32-cam/esp32-s3-001/ota', 'model_mismatch'],
    ['zenthos/esp32-s3/esp32-s3-001/telemetry', 'foreign_topic'],
    ['zenthos/#', 'wildcard'],
    ['zenthos/esp32-s3/esp32-s3-001/+', 'wildcard'],
    ['#', 'wildcard'],
    ['$SYS/#', 'sys_topic'],
    ['', 'empty_topic'],
    ['elsewhere', 'bad_topic'],
  ])('%s → %s', (filter, reason) => {
    const decision = authorizeSubscribeFilter(me, filter, 'zenthos');
    expect(decision).toEqual(reason === undefined ? { allowed: true } : { allowed: false, reason });
  });
});
