import { FirmwareError } from '../errors';
import { base64Decode, utf8Encode } from './bytes';
import { canonicalJson } from './canonical-json';
import type { CryptoPort } from './ports';
import { compareVersions, isValidVersion, type ReleaseKind } from './version';

/**
 * The signed statement about one release. The OTA API signs `canonicalJson(manifest)` with
 * ed25519; the device verifies exactly those bytes (see canonical-json.ts and the README).
 */
export interface ReleaseManifest {
  readonly device_model: string;
  readonly kind: ReleaseKind;
  readonly version: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the image. */
  readonly sha256: string;
  readonly key_id: string;
  /** RFC 3339 UTC times. */
  readonly created_at: string;
  readonly expires_at: string;
}

/** `GET /firmware/{model}/latest` (and `/models/...`) answer: spec §5 metadata plus the signed manifest. */
export interface ReleaseMetadata {
  readonly device_model: string;
  readonly version: string;
  readonly binary_url: string;
  readonly sha256: string;
  /** Base64 ed25519 signature over the canonical manifest bytes. */
  readonly signature: string;
  readonly size: number;
  readonly key_id: string;
  /** The manifest object exactly as signed; every field it carries is covered by the signature. */
  readonly manifest: ReleaseManifest & Readonly<Record<string, unknown>>;
}

const invalid = (code: 'ZEN_FW_METADATA_INVALID' | 'ZEN_FW_MANIFEST_INVALID', what: string): FirmwareError => new FirmwareError(code, what);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const sha256Pattern = /^[0-9a-f]{64}$/;

/** Checks the shape of the metadata JSON; throws `ZEN_FW_METADATA_INVALID` / `ZEN_FW_MANIFEST_INVALID`. */
export const parseReleaseMetadata = (json: unknown): ReleaseMetadata => {
  if (!isRecord(json)) throw invalid('ZEN_FW_METADATA_INVALID', 'release metadata is not a JSON object');
  for (const key of ['device_model', 'version', 'binary_url', 'signature', 'key_id']) {
    if (!isString(json[key])) throw invalid('ZEN_FW_METADATA_INVALID', `release metadata lacks ${key}`);
  }
  if (!isSize(json.size)) throw invalid('ZEN_FW_METADATA_INVALID', 'release metadata lacks a positive integer size');
  if (typeof json.sha256 !== 'string' || !sha256Pattern.test(json.sha256.toLowerCase())) {
    throw invalid('ZEN_FW_METADATA_INVALID', 'release metadata sha256 is not 64 hex digits');
  }
  // Accept the manifest as an object or as the JSON text of one; either way the device
  // re-canonicalizes it, so whitespace or key order in transit cannot break the signature.
  let manifest: unknown = json.manifest;
  if (typeof manifest === 'string') {
    try {
      manifest = JSON.parse(manifest);
    } catch {
      throw invalid('ZEN_FW_MANIFEST_INVALID', 'manifest text is not JSON');
    }
  }
  if (!isRecord(manifest)) throw invalid('ZEN_FW_MANIFEST_INVALID', 'release metadata lacks the manifest object');
  for (const key of ['device_model', 'version', 'key_id', 'created_at', 'expires_at']) {
    if (!isString(manifest[key])) throw invalid('ZEN_FW_MANIFEST_INVALID', `manifest lacks ${key}`);
  }
  if (manifest.kind !== 'firmware' && manifest.kind !== 'model')
    throw invalid('ZEN_FW_MANIFEST_INVALID', 'manifest kind is not firmware or model');
  if (!isSize(manifest.size)) throw invalid('ZEN_FW_MANIFEST_INVALID', 'manifest lacks a positive integer size');
  if (typeof manifest.sha256 !== 'string' || !sha256Pattern.test(manifest.sha256)) {
    throw invalid('ZEN_FW_MANIFEST_INVALID', 'manifest sha256 is not 64 lower-case hex digits');
  }
  return {
    ...(json as unknown as ReleaseMetadata),
    sha256: json.sha256.toLowerCase(),
    manifest: manifest as unknown as ReleaseMetadata['manifest'],
  };
};

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key is the 32 bytes after it.
const spkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

/**
 * Decodes a built-in public key: base64 of the raw 32 bytes, or of the 44-byte SPKI DER that
 * `openssl pkey -pubout -outform DER` and Node's `export({ format: 'der', type: 'spki' })` write.
 */
export const decodePublicKey = (base64: string): Uint8Array | undefined => {
  const bytes = base64Decode(base64);
  if (!bytes) return undefined;
  if (bytes.length === 32) return bytes;
  if (bytes.length === 44 && spkiPrefix.every((b, i) => bytes[i] === b)) return bytes.slice(12);
  return undefined;
};

/** What a release is checked against before a byte is downloaded. */
export interface ReleaseCheckContext {
  readonly kind: ReleaseKind;
  readonly deviceModel: string;
  /** Version installed now; `undefined` accepts any valid version (first model install). */
  readonly currentVersion: string | undefined;
  readonly nowMs: number;
  /** Public keys built into the firmware, by key id (base64, see {@link decodePublicKey}). */
  readonly trustedKeys: Readonly<Record<string, string>>;
  readonly capacityBytes: number;
  readonly crypto: CryptoPort;
}

/**
 * Verifies a release before download, in an order where nothing unsigned is trusted: the key id
 * must be built in, the signature must cover the canonical manifest, the unsigned metadata fields
 * must agree with the manifest, and then the signed facts decide: kind, device model, expiry,
 * anti-rollback (spec §9) and free space. Throws a {@link FirmwareError} naming the first failure.
 */
export const verifyRelease = async (meta: ReleaseMetadata, ctx: ReleaseCheckContext): Promise<void> => {
  const m = meta.manifest;
  if (!Object.prototype.hasOwnProperty.call(ctx.trustedKeys, m.key_id)) {
    throw new FirmwareError('ZEN_FW_UNKNOWN_KEY', `manifest key id ${m.key_id} is not built into this firmware`);
  }
  const publicKey = decodePublicKey(ctx.trustedKeys[m.key_id]!);
  if (!publicKey) throw new FirmwareError('ZEN_FW_UNKNOWN_KEY', `built-in key ${m.key_id} is not an ed25519 public key`);
  const signature = base64Decode(meta.signature);
  if (!signature || signature.length !== 64) throw new FirmwareError('ZEN_FW_SIGNATURE_INVALID', 'signature is not 64 base64 bytes');
  const signed = utf8Encode(canonicalJson(m));
  if (!(await ctx.crypto.verifyEd25519(publicKey, signed, signature))) {
    throw new FirmwareError('ZEN_FW_SIGNATURE_INVALID', `manifest signature does not verify with key ${m.key_id}`);
  }
  // The outer fields are not signed: they only count when they say what the manifest says.
  const mismatched = (['device_model', 'version', 'sha256', 'size', 'key_id'] as const).filter((k) => meta[k] !== m[k]);
  if (mismatched.length > 0) {
    throw new FirmwareError('ZEN_FW_MANIFEST_INVALID', `metadata ${mismatched.join(', ')} differ from the signed manifest`);
  }
  if (m.kind !== ctx.kind) throw new FirmwareError('ZEN_FW_KIND_MISMATCH', `expected a ${ctx.kind} release, got ${m.kind}`);
  if (m.device_model !== ctx.deviceModel) {
    throw new FirmwareError('ZEN_FW_MODEL_MISMATCH', `release is for ${m.device_model}, this device is ${ctx.deviceModel}`);
  }
  if (!isValidVersion(ctx.kind, m.version))
    throw new FirmwareError('ZEN_FW_VERSION_INVALID', `${m.version} is not a valid ${ctx.kind} version`);
  const expiresMs = Date.parse(m.expires_at);
  const createdMs = Date.parse(m.created_at);
  if (Number.isNaN(expiresMs) || Number.isNaN(createdMs))
    throw new FirmwareError('ZEN_FW_MANIFEST_INVALID', 'manifest times are not RFC 3339');
  if (expiresMs <= ctx.nowMs) throw new FirmwareError('ZEN_FW_MANIFEST_EXPIRED', `manifest expired at ${m.expires_at}`);
  if (ctx.currentVersion !== undefined) {
    const order = compareVersions(ctx.kind, m.version, ctx.currentVersion);
    if (order === undefined || order <= 0) {
      throw new FirmwareError('ZEN_FW_VERSION_NOT_NEWER', `${m.version} is not newer than the installed ${ctx.currentVersion}`);
    }
  }
  if (m.size > ctx.capacityBytes)
    throw new FirmwareError('ZEN_FW_SLOT_TOO_SMALL', `${m.size} bytes do not fit the ${ctx.capacityBytes}-byte slot`);
};
