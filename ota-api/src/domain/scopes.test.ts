import { API_TOKEN_PATTERN, parseScopes } from './scopes';

describe('scopes', () => {
  it('parses lists and removes duplicates', () => {
    expect(parseScopes('read, publish,read')).toEqual(['read', 'publish']);
    expect(parseScopes(['rollback'])).toEqual(['rollback']);
  });
  it.each([[''], ['admin'], ['read,write']])('refuses %j', (text) => {
    expect(() => parseScopes(text)).toThrow(expect.objectContaining({ code: 'ZEN_BAD_REQUEST' }));
  });
  it('knows the token shape', () => {
    expect(API_TOKEN_PATTERN.test(`zt_${'a'.repeat(43)}`)).toBe(true);
    expect(API_TOKEN_PATTERN.test(`zt_${'a'.repeat(42)}`)).toBe(false);
  });
});
