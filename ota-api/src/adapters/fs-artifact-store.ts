import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZenthosError } from '@zenthos/core';
import type { ArtifactStore, StagedArtifact } from './artifact-store';

const STAGING = '.staging';

/** A transform that hashes and counts bytes and fails past a limit. */
export function createDigestCounter(maxBytes: number): Transform & { readonly digest: () => { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > maxBytes) return cb(new ZenthosError('ZEN_BAD_REQUEST', `artifact is larger than ${maxBytes} bytes`));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return Object.assign(t, { digest: () => ({ sha256: hash.digest('hex'), size }) });
}

/** Artifacts as files under `root` (the default store). */
export function createFsArtifactStore(root: string): ArtifactStore {
  const base = resolve(root);
  const pathOf = (key: string): string => {
    const p = resolve(base, key);
    // Keys come from validated model/version names, but a path must never leave the root.
    if (!p.startsWith(base + sep)) throw new ZenthosError('ZEN_BAD_REQUEST', `bad artifact key ${key}`);
    return p;
  };

  return {
    kind: 'fs',

    async stage(body, maxBytes): Promise<StagedArtifact> {
      const tempKey = `${STAGING}/${randomUUID()}`;
      const path = pathOf(tempKey);
      await mkdir(dirname(path), { recursive: true });
      const counter = createDigestCounter(maxBytes);
      try {
        await pipeline(body, counter, createWriteStream(path, { flags: 'wx', mode: 0o644 }));
        // Durable before any database row can point at it.
        const fh = await open(path, 'r');
        await fh.sync().finally(() => fh.close());
      } catch (err) {
        await rm(path, { force: true });
        throw err instanceof ZenthosError
          ? err
          : new ZenthosError('ZEN_OTA_STORAGE_FAILED', `staging failed: ${(err as Error).message}`, true, { cause: err });
      }
      return { tempKey, ...counter.digest() };
    },

    async promote(tempKey, finalKey) {
      const target = pathOf(finalKey);
      await mkdir(dirname(target), { recursive: true });
      // rename(2) is atomic within one filesystem: readers see the old file or the new one.
      await rename(pathOf(tempKey), target);
      const dir = await open(dirname(target), 'r');
      await dir.sync().finally(() => dir.close());
    },

    async remove(key) {
      await rm(pathOf(key), { force: true });
    },

    async stat(key) {
      try {
        const s = await stat(pathOf(key));
        return s.isFile() ? { size: s.size } : undefined;
      } catch {
        return undefined;
      }
    },

    async read(key, range) {
      const path = pathOf(key);
      const s = await stat(path).catch(() => undefined);
      if (!s) throw new ZenthosError('ZEN_NOT_FOUND', `artifact ${key} is missing`);
      return createReadStream(path, range ? { start: range.start, end: range.end } : {});
    },

    async sweepStaged(olderThanMs) {
      const dir = join(base, STAGING);
      const names = await readdir(dir).catch(() => [] as string[]);
      let removed = 0;
      for (const name of names) {
        const s = await stat(join(dir, name)).catch(() => undefined);
        if (s && Date.now() - s.mtimeMs > olderThanMs) {
          await rm(join(dir, name), { force: true });
          removed++;
        }
      }
      return removed;
    },
  };
}

/** Reads a whole stream into memory (small artifacts in tests and the CLI). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}
