import { createHash, generateKeyPairSync } from 'node:crypto';
import { canonicalManifest, checkArtifact, signManifest, verifyManifest, type Manifest } from './manifest';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const artifact = Buffer.from('firmware image bytes');
const manifest: Manifest = {
  version: 'v1.0.0',
  kind: 'firmware',
  device_model: 'esp32-s3',
  size: artifact.length,
  sha256: createHash('sha256').update(artifact).digest('hex'),
  key_id: '0123456789abcdef',
  created_at: '2026-11-30T00:00:00.000Z',
  expires_at: '2027-11-30T00:00:00.000Z',
};

describe('manifest', () => {
  it('is canonical: sorted keys, no whitespace, independent of input order', () => {
    const text = canonicalManifest(manifest);
    expect(text.startsWith('{"created_at":"2026-11-30T00:00:00.000Z","device_model":"esp32-s3","expires_at"')).toBe(true);
    expect(text).not.toMatch(/\s/);
    const reordered = Object.fromEntries(Object.entries(manifest).reverse()) as unknown as Manifest;
    expect(canonicalManifest(reordered)).toBe(text);
    expect(canonicalManifest({ ...manifest, extra: 'x' } as Manifest)).toBe(text);
  });

  it('signature verifies, and fails for a changed byte or another key', () => {
    const text = canonicalManifest(manifest);
    const sig = signManifest(text, privateKey);
    expect(Buffer.from(sig, 'base64')).toHaveLength(64);
    expect(verifyManifest(text, sig, publicKey)).toBe(true);
    expect(verifyManifest(text.replace('v1.0.0', 'v1.0.1'), sig, publicKey)).toBe(false);
    expect(verifyManifest(text, sig, generateKeyPairSync('ed25519').publicKey)).toBe(false);
    expect(verifyManifest(text, 'not base64 at all', publicKey)).toBe(false);
  });

  it('binds the artifact by digest and size', () => {
    const text = canonicalManifest(manifest);
    expect(checkArtifact(text, manifest.sha256, artifact.length)).toBe(true);
    const tampered = Buffer.from(artifact);
    tampered[0] = tampered[0]! ^ 1;
    expect(checkArtifact(text, createHash('sha256').update(tampered).digest('hex'), tampered.length)).toBe(false);
  });
});
