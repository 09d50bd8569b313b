import { userInfo } from 'node:os';
import { ZenthosError } from '@zenthos/core';
import { run } from './process';

let updated = false;

/**
 * Installs Debian packages a service needs when they are missing and we are root
 * (non-interactively, as on a fresh CI machine). Without root it explains what to install.
 */
export async function ensureDebianPackages(packages: readonly string[]): Promise<void> {
  if (userInfo().uid !== 0) {
    throw new ZenthosError('ZEN_STACK_MISSING_TOOL', `missing Debian packages: ${packages.join(' ')} (install them, or run as root)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.stderr.write(`stack: installing ${packages.join(' ')} with apt-get...\n`);
  if (!updated) {
    run('apt-get', ['update', '-q'], { env });
    updated = true;
  }
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
}
