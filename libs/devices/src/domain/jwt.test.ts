import { generateKeyPairSync } from 'node:crypto';
import { type ZenthosError } from '@zenthos/core';
import { keyIdOf } from './ed25519';
import { DEVICE_ID_PATTERN, signDeviceToken, verifyDeviceTokenSignature, type DeviceTokenClaims } from './jwt';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const kid = keyIdOf(publicKey);
const keys = new Map([[kid, publicKey]]);
const claims: DeviceTokenClaims = { iss: 'zenthos', sub: 'esp32-s3-001', model: 'esp32-s3', jti: 'c1', iat: 1000, exp: 2000 };

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ZenthosError).code;
  }
  return 'none';
};

const forge = (header: object, body: object, sig = 'AAAA'): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(body)).toString('base64url')}.${sig}`;

describe('device tokens', () => {
  it('round-trips claims', () => {
    const token = signDeviceToken(claims, privateKey, kid);
    expect(verifyDeviceTokenSignature(token, keys, 1500)).toEqual(claims);
  });

  it('derives a stable 16-hex key id from private or public key', () => {
    expect(kid).toMatch(/^[0-9a-f]{16}$/);
    expect(keyIdOf(privateKey)).toBe(kid);
    expect(keyIdOf(other.publicKey)).not.toBe(kid);
  });

  it('refuses an expired token with its own code', () => {
    expect(codeOf(() => verifyDeviceTokenSignature(signDeviceToken(claims, privateKey, kid), keys, 2000))).toBe('ZEN_DEVICE_TOKEN_EXPIRED');
  });

  const token = signDeviceToken(claims, privateKey, kid);
  const [h, p, s] = token.split('.') as [string, string, string];
  const flipped = Buffer.from(s, 'base64url');
  flipped[0] = flipped[0]! ^ 1;
  it.each([
    ['garbage', 'not-a-token'],
    ['a flipped signature bit', `${h}.${p}.${flipped.toString('base64url')}`],
    ['changed claims', `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'other' })).toString('base64url')}.${s}`],
    ['alg none', forge({ alg: 'none', kid }, claims, '')],
    ['HS256', forge({ alg: 'HS256', kid }, claims)],
    ['an unknown key', signDeviceToken(claims, other.privateKey, keyIdOf(other.publicKey))],
    ['a known kid but another key', signDeviceToken(claims, other.privateKey, kid)],
    ['missing claims', signDeviceToken({ ...claims, model: undefined } as unknown as DeviceTokenClaims, privateKey, kid)],
    ['a foreign issuer', signDeviceToken({ ...claims, iss: 'evil' }, privateKey, kid)],
  ])('refuses %s', (_why, bad) => {
    expect(codeOf(() => verifyDeviceTokenSignature(bad, keys, 1500))).toBe('ZEN_DEVICE_TOKEN_INVALID');
  });

  it.each([
    ['esp32-s3-001', true],
    ['a.b_c-d', true],
    ['', false],
    ['a/b', false],
    ['a+b', false],
    ['a#', false],
    ['-lead', false],
    ['x'.repeat(129), false],
  ])('device id %j valid: %s', (id, ok) => {
    expect(DEVICE_ID_PATTERN.test(id)).toBe(ok);
  });
});
