import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The project's root folder: the nearest parent of this package that holds lerna.json. */
export function projectRoot(): string {
  let dir = resolve(__dirname);
  while (!existsSync(join(dir, 'lerna.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('zenthos: cannot find the project root (lerna.json)');
    dir = parent;
  }
  return dir;
}

/** The git-ignored folder where the local stack keeps data, logs, pid files and the pinned Node. */
export const stateDir = (): string => join(projectRoot(), '.zenthos');
