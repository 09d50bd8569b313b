import { execFileSync } from 'node:child_process';
import { schemaText } from '../domain/avro';

/** A past version of a file in git. */
export interface GitVersion {
  /** `git <short sha>`, for messages. */
  readonly label: string;
  readonly text: string;
}

const git = (cwd: string, args: string[]): string | undefined => {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 * 1024 * 1024 });
  } catch {
    return undefined;
  }
};

const same = (a: string, b: string): boolean => {
  try {
    return schemaText(a) === schemaText(b);
  } catch {
    return a === b;
  }
};

/**
 * Earlier versions of a schema file, oldest first, that the current text must stay compatible
 * with. With `ref`, only the version at that ref. Otherwise every committed version; when the
 * working copy equals the last commit, that commit is the "current" one and its predecessors
 * are the history (so a CI run on a clean checkout checks the latest committed change).
 * Without git or history, nothing: a first version has nothing to be compatible with.
 */
export function gitSchemaHistory(repoRoot: string, relPath: string, current: string, ref?: string): GitVersion[] {
  if (ref !== undefined) {
    const text = git(repoRoot, ['show', `${ref}:${relPath}`]);
    return text === undefined ? [] : [{ label: `git ${ref}`, text }];
  }
  const commits = (git(repoRoot, ['log', '--format=%h', '--', relPath]) ?? '').split('\n').filter(Boolean);
  const versions: GitVersion[] = [];
  for (const sha of commits) {
    const text = git(repoRoot, ['show', `${sha}:${relPath}`]);
    if (text !== undefined) versions.push({ label: `git ${sha}`, text });
  }
  // Newest first here: drop the commit that equals the working copy, and repeats of one text.
  if (versions[0] && same(versions[0].text, current)) versions.shift();
  const distinct = versions.filter((v, i) => i === 0 || !same(v.text, versions[i - 1]!.text));
  return distinct.reverse();
}

/** The root of the git work tree containing `dir`, if any. */
export const gitRoot = (dir: string): string | undefined => git(dir, ['rev-parse', '--show-toplevel'])?.trim();
