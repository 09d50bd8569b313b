import { httpStatusOf, otaErrorCodes } from './errors';

describe('httpStatusOf', () => {
  it('answers every client mistake with a 4xx, never a 500', () => {
    const clientSide = otaErrorCodes.filter((c) => !['ZEN_OTA_STORAGE_FAILED', 'ZEN_DEPENDENCY_UNAVAILABLE', 'ZEN_INTERNAL'].includes(c));
    for (const code of clientSide) {
      const status = httpStatusOf(code);
      expect([code, status >= 400 && status < 500]).toEqual([code, true]);
    }
  });
  it.each([
    ['ZEN_BAD_REQUEST', 400],
    ['ZEN_DEVICE_REVOKED', 401],
    ['ZEN_WEBHOOK_SIGNATURE_INVALID', 401],
    ['ZEN_FORBIDDEN', 403],
    ['ZEN_NOT_FOUND', 404],
    ['ZEN_OTA_KEY_REVOKED', 409],
    ['ZEN_DEPENDENCY_UNAVAILABLE', 503],
    ['ZEN_INTERNAL', 500],
  ] as const)('%s → %d', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });
});
