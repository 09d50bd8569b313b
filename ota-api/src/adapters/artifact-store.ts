import type { Readable } from 'node:stream';
import type { ByteRange } from '../domain/byte-range';

/** An artifact written under a temporary name, with its digest and size. */
export interface StagedArtifact {
  readonly tempKey: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Where release binaries live (filesystem or S3). Publishing writes under a temporary name
 * first and promotes (renames) only inside the release's database transaction, so a half
 * written or uncommitted artifact is never reachable under a release's name.
 */
export interface ArtifactStore {
  readonly kind: 'fs' | 's3';
  /** Streams `body` to a temporary object, hashing it; ZEN_BAD_REQUEST past `maxBytes`. */
  stage(body: Readable, maxBytes: number): Promise<StagedArtifact>;
  /** Moves a staged object to its final key (replacing an orphan left by an earlier crash). */
  promote(tempKey: string, finalKey: string): Promise<void>;
  /** Deletes an object; missing is fine. */
  remove(key: string): Promise<void>;
  /** Size of an object, or undefined when absent. */
  stat(key: string): Promise<{ size: number } | undefined>;
  /** The bytes of an object, or of one range of it. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Deletes staged objects older than `olderThanMs` (left by killed publishes). */
  sweepStaged(olderThanMs: number): Promise<number>;
  /** A time-limited direct URL, where the store supports it (S3). */
  presignedUrl?(key: string, expiresS: number): Promise<string>;
  close?(): Promise<void>;
}
