import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ZenthosError } from '@zenthos/core';
import { isEd25519, keyIdOf } from '../domain/ed25519';

/** An ed25519 key pair with its derived id. */
export interface Ed25519Key {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Where it came from: `env`, a file path, or `generated:<path>`. */
  readonly source: string;
}

/** Where {@link loadOrCreateEd25519Key} looks, in order. */
export interface KeySources {
  readonly pem?: string | undefined;
  readonly file?: string | undefined;
  /** Development fallback: `<devDir>/<devName>.pem`, created when missing. */
  readonly devDir: string;
  readonly devName: string;
}

const parse = (pem: string, source: string): Ed25519Key => {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new ZenthosError('ZEN_CONFIG_INVALID', `${source}: not a PEM private key`, false, { cause: err });
  }
  if (!isEd25519(privateKey)) throw new ZenthosError('ZEN_CONFIG_INVALID', `${source}: not an ed25519 key`);
  return { keyId: keyIdOf(privateKey), privateKey, publicKey: createPublicKey(privateKey), source };
};

/**
 * Loads an ed25519 private key from PEM text or a file; with neither, uses (and on first use
 * creates, mode 0600) a development key in a git-ignored folder, so a fresh checkout works
 * without ever committing a key.
 */
export function loadOrCreateEd25519Key(sources: KeySources): Ed25519Key {
  if (sources.pem) return parse(sources.pem.replace(/\\n/g, '\n'), 'environment');
  if (sources.file) {
    if (!existsSync(sources.file)) throw new ZenthosError('ZEN_CONFIG_INVALID', `key file ${sources.file} does not exist`);
    return parse(readFileSync(sources.file, 'utf8'), sources.file);
  }
  const path = join(sources.devDir, `${sources.devName}.pem`);
  if (existsSync(path)) return parse(readFileSync(path, 'utf8'), path);
  const { privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // 'wx' fails if another process created it meanwhile; then that key wins and is read back.
  try {
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch {
    return parse(readFileSync(path, 'utf8'), path);
  }
  return { ...parse(readFileSync(path, 'utf8'), path), source: `generated:${path}` };
}

/** Parses an ed25519 public key from PEM (SPKI). */
export function parseEd25519PublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem.replace(/\\n/g, '\n'));
  } catch (err) {
    throw new ZenthosError('ZEN_CONFIG_INVALID', 'not a PEM public key', false, { cause: err });
  }
  if (!isEd25519(key)) throw new ZenthosError('ZEN_CONFIG_INVALID', 'not an ed25519 public key');
  return key;
}
