import { z } from 'zod';
import { commonEnv, env, loadConfig, type ConfigOf } from '@zenthos/core';

/**
 * Settings of the device registry. The platform key that signs device tokens comes from
 * DEVICE_TOKEN_PRIVATE_KEY (PEM text) or DEVICE_TOKEN_KEY_FILE; with neither, a development key
 * is created once in ZENTHOS_KEYS_DIR (git-ignored `.zenthos/keys`). A verifier that must not
 * hold the private key (the MQTT bridge) may set only DEVICE_TOKEN_PUBLIC_KEY.
 */
export const devicesConfigShape = {
  DATABASE_URL: commonEnv.DATABASE_URL,
  DEVICE_TOKEN_PRIVATE_KEY: z.string().min(1).optional(),
  DEVICE_TOKEN_KEY_FILE: z.string().min(1).optional(),
  DEVICE_TOKEN_PUBLIC_KEY: z.string().min(1).optional(),
  ZENTHOS_KEYS_DIR: env.string('.zenthos/keys'),
  /** Lifetime of a device token; 90 days by default, devices re-register or rotate before. */
  DEVICE_TOKEN_TTL_S: env.int(90 * 24 * 3600, 60),
  /** How long a revocation lookup is reused; bounds how late a revocation bites elsewhere. */
  DEVICE_REVOCATION_CACHE_MS: env.int(5_000, 0, 300_000),
} as const;

/** Parsed device registry settings. */
export type DevicesConfig = ConfigOf<typeof devicesConfigShape>;

/** Reads and validates the device registry settings once. */
export const loadDevicesConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): DevicesConfig =>
  loadConfig(devicesConfigShape, source);
