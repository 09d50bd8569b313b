import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ZenthosError } from '@zenthos/core';
import { parseByteRange } from '../../domain/byte-range';
import { storageKeyOf, type ReleaseView } from '../../domain/release';
import type { ArtifactStore } from '../artifact-store';

/** True when the caller asked for the binary rather than the metadata (spec §5). */
export const wantsBinary = (req: Request): boolean =>
  req.query.download === 'true' || (req.get('accept') ?? '').toLowerCase().includes('application/octet-stream');

/**
 * Sends a release's binary: a presigned redirect where configured, otherwise the bytes, with
 * single-range support so an ESP32 can resume an interrupted download (`Range: bytes=N-`).
 */
export async function sendArtifact(
  req: Request,
  res: Response,
  store: ArtifactStore,
  release: ReleaseView,
  redirect: boolean,
): Promise<void> {
  const key = storageKeyOf(release.kind, release.device_model, release.version);
  if (redirect && store.presignedUrl) {
    res.redirect(302, await store.presignedUrl(key, 900));
    return;
  }
  const stat = await store.stat(key);
  if (!stat)
    throw new ZenthosError('ZEN_OTA_STORAGE_FAILED', `artifact of ${release.device_model} ${release.version} is missing from storage`);
  const size = stat.size;
  const etag = `"${release.sha256}"`;
  res.set({
    'accept-ranges': 'bytes',
    etag,
    'x-zenthos-version': release.version,
    'x-zenthos-sha256': release.sha256,
    'x-zenthos-signature': release.signature,
    'x-zenthos-key-id': release.key_id,
    'content-disposition': `attachment; filename="${release.device_model}-${release.version}${release.kind === 'firmware' ? '.bin' : '.tflite'}"`,
  });
  // If-Range with another entity tag means the client's partial copy is stale: send it all.
  const ifRange = req.get('if-range');
  const range = ifRange && ifRange !== etag ? undefined : parseByteRange(req.get('range'), size);
  if (range === 'unsatisfiable') {
    res
      .status(416)
      .set('content-range', `bytes */${size}`)
      .json({ code: 'ZEN_BAD_REQUEST', message: `range not satisfiable for ${size} bytes` });
    return;
  }
  const body = await store.read(key, range);
  if (range) res.status(206).set('content-range', `bytes ${range.start}-${range.end}/${size}`);
  res.type('application/octet-stream').set('content-length', String(range ? range.end - range.start + 1 : size));
  if (req.method === 'HEAD') {
    body.destroy();
    res.end();
    return;
  }
  await pipeline(body, res).catch(() => undefined); // a client that hangs up mid-download is normal
}
