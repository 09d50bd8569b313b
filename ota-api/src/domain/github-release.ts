import { DEVICE_ID_PATTERN } from '@zenthos/devices';
import { kindOfVersion, type ReleaseKind } from './versions';

/** One artifact of a GitHub release to publish, with its optional checksum and signature assets. */
export interface PlannedAsset {
  readonly kind: ReleaseKind;
  readonly deviceModel: string;
  readonly version: string;
  readonly name: string;
  readonly url: string;
  readonly sha256Url?: string;
  readonly sigUrl?: string;
}

interface GithubAsset {
  readonly name?: unknown;
  readonly browser_download_url?: unknown;
}

// `<device_model>-<version>.bin`: the model itself may contain dashes (esp32-s3), so the
// version is matched from the end.
const ASSET = /^(.+)-(v\d+\.\d+\.\d+|m-\d{8}-[0-9a-f]{7,40})\.(bin|tflite)$/;

/**
 * The artifacts a `release` event asks to publish: every `<model>-<version>.bin` asset (models
 * may also be `.tflite`) whose model and version are valid, paired with `<name>.sha256` and
 * `<name>.sig` when the release has them.
 */
export function planReleaseAssets(payload: unknown): PlannedAsset[] {
  const assets = (payload as { release?: { assets?: unknown } })?.release?.assets;
  if (!Array.isArray(assets)) return [];
  const byName = new Map<string, string>();
  for (const a of assets as GithubAsset[]) {
    if (typeof a?.name === 'string' && typeof a.browser_download_url === 'string') byName.set(a.name, a.browser_download_url);
  }
  const planned: PlannedAsset[] = [];
  for (const [name, url] of byName) {
    const m = ASSET.exec(name);
    if (!m) continue;
    const [, deviceModel, version, ext] = m as unknown as [string, string, string, string];
    const kind = kindOfVersion(version);
    if (!kind || !DEVICE_ID_PATTERN.test(deviceModel) || (kind === 'firmware' && ext !== 'bin')) continue;
    const sha256Url = byName.get(`${name}.sha256`);
    const sigUrl = byName.get(`${name}.sig`);
    planned.push({ kind, deviceModel, version, name, url, ...(sha256Url ? { sha256Url } : {}), ...(sigUrl ? { sigUrl } : {}) });
  }
  return planned;
}

/** Reads a `.sha256` asset: `sha256sum` output or a bare digest. */
export function parseSha256File(text: string): string | undefined {
  const m = /^([0-9a-fA-F]{64})(\s|$)/.exec(text.trim());
  return m ? (m[1] as string).toLowerCase() : undefined;
}

/** Reads a `.sig` asset: 64 raw bytes or their base64 text. */
export function parseSignatureFile(bytes: Buffer): Buffer | undefined {
  if (bytes.length === 64) return bytes;
  const text = bytes.toString('utf8').trim();
  if (!/^[A-Za-z0-9+/]{86}==$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
