import { canonicalJson } from './canonical-json';

describe('canonicalJson (the signing contract)', () => {
  it.each([
    ['sorted keys, no whitespace', { b: 1, a: 'x' }, '{"a":"x","b":1}'],
    ['nested objects sorted too', { z: { d: 1, c: [3, { f: 1, e: 2 }] }, a: null }, '{"a":null,"z":{"c":[3,{"e":2,"f":1}],"d":1}}'],
    ['UTF-16 code unit order: upper case before lower', { b: 1, B: 2, _: 3 }, '{"B":2,"_":3,"b":1}'],
    ['strings escaped like JSON.stringify', { s: 'a"b\\c\nü' }, '{"s":"a\\"b\\\\c\\nü"}'],
    ['undefined members left out', { a: 1, b: undefined }, '{"a":1}'],
    ['booleans and numbers', [true, false, 0, -1.5, 1e21], '[true,false,0,-1.5,1e+21]'],
    [
      'a release manifest',
      {
        version: 'v1.2.3',
        kind: 'firmware',
        device_model: 'esp32-s3',
        size: 1048576,
        sha256: 'ab',
        key_id: 'k1',
        created_at: '2026-11-30T10:00:00Z',
        expires_at: '2027-11-30T10:00:00Z',
      },
      '{"created_at":"2026-11-30T10:00:00Z","device_model":"esp32-s3","expires_at":"2027-11-30T10:00:00Z","key_id":"k1","kind":"firmware","sha256":"ab","size":1048576,"version":"v1.2.3"}',
    ],
  ])('%s', (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it.each([NaN, Infinity, undefined, () => 1, 1n])('refuses %p', (value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });
});
