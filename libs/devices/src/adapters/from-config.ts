import type { Pool } from '@zenthos/db';
import type { DevicesConfig } from '../config';
import { createDeviceRegistry, type DeviceRegistry } from './device-registry';
import { loadOrCreateEd25519Key, parseEd25519PublicKey } from './key-file';

/** Name of the development platform key file in ZENTHOS_KEYS_DIR. */
export const DEV_DEVICE_TOKEN_KEY_NAME = 'device-token-ed25519';

/**
 * The registry as configured: with DEVICE_TOKEN_PUBLIC_KEY alone it only verifies (a bridge
 * needs no private key); otherwise it loads or creates the platform key and can issue tokens.
 */
export function createDeviceRegistryFromConfig(config: DevicesConfig, pool: Pool, now?: () => number): DeviceRegistry {
  const common = {
    pool,
    tokenTtlS: config.DEVICE_TOKEN_TTL_S,
    revocationCacheMs: config.DEVICE_REVOCATION_CACHE_MS,
    ...(now ? { now } : {}),
  };
  const verifyOnly = config.DEVICE_TOKEN_PUBLIC_KEY && !config.DEVICE_TOKEN_PRIVATE_KEY && !config.DEVICE_TOKEN_KEY_FILE;
  if (verifyOnly) return createDeviceRegistry({ ...common, publicKeys: [parseEd25519PublicKey(config.DEVICE_TOKEN_PUBLIC_KEY as string)] });
  const signingKey = loadOrCreateEd25519Key({
    pem: config.DEVICE_TOKEN_PRIVATE_KEY,
    file: config.DEVICE_TOKEN_KEY_FILE,
    devDir: config.ZENTHOS_KEYS_DIR,
    devName: DEV_DEVICE_TOKEN_KEY_NAME,
  });
  const extra = config.DEVICE_TOKEN_PUBLIC_KEY ? [parseEd25519PublicKey(config.DEVICE_TOKEN_PUBLIC_KEY)] : [];
  return createDeviceRegistry({ ...common, signingKey, publicKeys: extra });
}
