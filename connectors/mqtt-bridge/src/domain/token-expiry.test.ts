import { tokenExpiresAtMs } from './token-expiry';

const jws = (claims: unknown): string => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('tokenExpiresAtMs', () => {
  it.each([
    ['an exp claim', jws({ sub: 'd', exp: 1_800_000_000 }), 1_800_000_000_000],
    ['no exp claim', jws({ sub: 'd' }), undefined],
    ['a string exp', jws({ exp: '1800000000' }), undefined],
    ['a payload that is not JSON', 'e30.bm90IGpzb24.sig', undefined],
    ['no payload', 'opaque', undefined],
  ])('%s', (_name, token, expected) => {
    expect(tokenExpiresAtMs(token)).toBe(expected);
  });
});
