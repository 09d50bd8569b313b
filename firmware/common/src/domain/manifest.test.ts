import { buildRelease, createTestKey } from '../../test/fakes';
import { isFirmwareError } from '../errors';
import { base64Encode } from './bytes';
import { canonicalJson } from './canonical-json';
import { decodePublicKey, parseReleaseMetadata } from './manifest';

const key = createTestKey('k1');
const { meta } = buildRelease({ key });
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isFirmwareError(err) ? err.code : 'not a FirmwareError';
  }
  return undefined;
};

describe('parseReleaseMetadata', () => {
  it.each([
    ['not an object', [], 'ZEN_FW_METADATA_INVALID'],
    ['no binary_url', { ...meta, binary_url: undefined }, 'ZEN_FW_METADATA_INVALID'],
    ['a size of 0', { ...meta, size: 0 }, 'ZEN_FW_METADATA_INVALID'],
    ['a short sha256', { ...meta, sha256: 'abc' }, 'ZEN_FW_METADATA_INVALID'],
    ['no manifest', { ...meta, manifest: undefined }, 'ZEN_FW_MANIFEST_INVALID'],
    ['manifest text that is not JSON', { ...meta, manifest: '{' }, 'ZEN_FW_MANIFEST_INVALID'],
    ['a manifest of another kind', { ...meta, manifest: { ...meta.manifest, kind: 'app' } }, 'ZEN_FW_MANIFEST_INVALID'],
    ['a manifest without expiry', { ...meta, manifest: { ...meta.manifest, expires_at: undefined } }, 'ZEN_FW_MANIFEST_INVALID'],
    [
      'a manifest with an upper-case sha256',
      { ...meta, manifest: { ...meta.manifest, sha256: meta.sha256.toUpperCase() } },
      'ZEN_FW_MANIFEST_INVALID',
    ],
  ])('refuses %s', (_name, json, code) => {
    expect(codeOf(() => parseReleaseMetadata(json))).toBe(code);
  });

  it('accepts the manifest as canonical JSON text (how the OTA API stores it) and as an object', () => {
    const fromText = parseReleaseMetadata({ ...meta, manifest: canonicalJson(meta.manifest) });
    const fromObject = parseReleaseMetadata(meta);
    expect(canonicalJson(fromText.manifest)).toBe(canonicalJson(fromObject.manifest));
  });
});

describe('decodePublicKey', () => {
  const raw = Uint8Array.from({ length: 32 }, (_, i) => i);
  const spki = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, ...raw]);
  it.each([
    ['raw 32 bytes', base64Encode(raw), true],
    ['SPKI DER', base64Encode(spki), true],
    ['31 bytes', base64Encode(raw.subarray(1)), false],
    ['an RSA-sized blob', base64Encode(new Uint8Array(44)), false],
    ['not base64', '***', false],
  ])('%s', (_name, text, ok) => {
    const out = decodePublicKey(text);
    expect(out ? Array.from(out) : undefined).toEqual(ok ? Array.from(raw) : undefined);
  });
});
