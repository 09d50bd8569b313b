import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ZenthosError } from '@zenthos/core';
import type { ArtifactStore, StagedArtifact } from './artifact-store';
import { createDigestCounter } from './fs-artifact-store';

/** Where the S3 (MinIO) store keeps artifacts. */
export interface S3StoreOptions {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly bucket: string;
  readonly region: string;
}

const STAGING = 'staging/';
const failed = (what: string, err: unknown): ZenthosError =>
  new ZenthosError('ZEN_OTA_STORAGE_FAILED', `S3 ${what}: ${(err as Error).message}`, true, { cause: err });
const isNotFound = (err: unknown): boolean => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
};

/**
 * Artifacts in an S3 bucket (MinIO in the local stack, spec §8). S3 has no rename: promotion is
 * copy-then-delete, which is still safe because nothing refers to the final key before the
 * release row commits.
 */
export function createS3ArtifactStore(opts: S3StoreOptions): ArtifactStore {
  const s3 = new S3Client({
    endpoint: opts.endpoint,
    region: opts.region,
    forcePathStyle: true, // MinIO and most self-hosted S3 servers serve buckets as paths
    // The SDK's default streaming checksums (aws-chunked bodies with trailers) are not spoken by
    // every S3-compatible server; the artifact's sha256 is checked by us anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
  });
  const Bucket = opts.bucket;
  let bucketReady: Promise<void> | undefined;
  const ensureBucket = (): Promise<void> =>
    (bucketReady ??= (async () => {
      try {
        await s3.send(new HeadBucketCommand({ Bucket }));
      } catch (err) {
        if (!isNotFound(err)) throw failed('bucket check', err);
        await s3.send(new CreateBucketCommand({ Bucket })).catch((e: unknown) => {
          throw failed('bucket creation', e);
        });
      }
    })().catch((err: unknown) => {
      bucketReady = undefined;
      throw err;
    }));

  return {
    kind: 's3',

    async stage(body, maxBytes): Promise<StagedArtifact> {
      await ensureBucket();
      // Spooled to a local file first: the digest must be known, and S3 wants a length.
      const dir = await mkdtemp(join(tmpdir(), 'zenthos-stage-'));
      const file = join(dir, 'artifact');
      try {
        const counter = createDigestCounter(maxBytes);
        await pipeline(body, counter, createWriteStream(file));
        const { sha256, size } = counter.digest();
        const tempKey = `${STAGING}${randomUUID()}`;
        await s3
          .send(
            new PutObjectCommand({
              Bucket,
              Key: tempKey,
              Body: createReadStream(file),
              ContentLength: size,
              ContentType: 'application/octet-stream',
            }),
          )
          .catch((err: unknown) => {
            throw failed('upload', err);
          });
        return { tempKey, sha256, size };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async promote(tempKey, finalKey) {
      try {
        await s3.send(new CopyObjectCommand({ Bucket, Key: finalKey, CopySource: `${Bucket}/${tempKey}` }));
        await s3.send(new DeleteObjectCommand({ Bucket, Key: tempKey }));
      } catch (err) {
        throw failed('promote', err);
      }
    },

    async remove(key) {
      await s3.send(new DeleteObjectCommand({ Bucket, Key: key })).catch((err: unknown) => {
        if (!isNotFound(err)) throw failed('delete', err);
      });
    },

    async stat(key) {
      try {
        const head = await s3.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: Number(head.ContentLength ?? 0) };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw failed('head', err);
      }
    },

    async read(key, range) {
      try {
        const out = await s3.send(
          new GetObjectCommand({ Bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
        );
        return out.Body as Readable;
      } catch (err) {
        if (isNotFound(err)) throw new ZenthosError('ZEN_NOT_FOUND', `artifact ${key} is missing`);
        throw failed('get', err);
      }
    },

    async sweepStaged(olderThanMs) {
      await ensureBucket();
      const list = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: STAGING }));
      let removed = 0;
      for (const o of list.Contents ?? []) {
        if (o.Key && o.LastModified && Date.now() - o.LastModified.getTime() > olderThanMs) {
          await s3.send(new DeleteObjectCommand({ Bucket, Key: o.Key }));
          removed++;
        }
      }
      return removed;
    },

    presignedUrl: (key, expiresS) => getSignedUrl(s3, new GetObjectCommand({ Bucket, Key: key }), { expiresIn: expiresS }),

    async close() {
      s3.destroy();
    },
  };
}
