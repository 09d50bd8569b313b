import { z } from 'zod';
import { env, loadConfig, type ConfigOf } from '@zenthos/core';
import { devicesConfigShape } from '@zenthos/devices';

/**
 * Settings of `zenthos sim`. With `--register db` devices are registered straight in the device
 * registry (DATABASE_URL and the DEVICE_TOKEN_* variables of @zenthos/devices, the same platform
 * key the bridge verifies with); with `--register api` through the OTA API's `POST /devices` with
 * SIM_OTA_API_TOKEN (a management token with the publish scope).
 */
export const simConfigShape = {
  ...devicesConfigShape,
  /** Broker the devices connect to: the MQTT bridge (DESIGN.md: 1883 plain for development). */
  SIM_MQTT_URL: env.url(['mqtt', 'mqtts', 'tcp', 'ssl'], 'mqtt://127.0.0.1:1883'),
  /** OTA API base URL devices check for updates and report to. */
  SIM_OTA_URL: env.url(['http', 'https'], 'http://127.0.0.1:8080'),
  /** Management token (scope publish) for `--register api`. */
  SIM_OTA_API_TOKEN: z.string().min(1).optional(),
  /** Where each device keeps its file-backed flash (firmware slots survive a simulated reboot). */
  SIM_STATE_DIR: env.string('.zenthos/sim'),
  /** Devices connecting or registering at once. */
  SIM_CONCURRENCY: env.int(20, 1, 1_000),
} as const;

/** Parsed simulator settings. */
export type SimConfig = ConfigOf<typeof simConfigShape>;

/** Reads and validates the simulator settings once. */
export const loadSimConfig = (source: NodeJS.ProcessEnv | Record<string, string | undefined>): SimConfig =>
  loadConfig(simConfigShape, source);
