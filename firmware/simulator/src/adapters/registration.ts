import { isZenthosError, ZenthosError } from '@zenthos/core';
import { createPool } from '@zenthos/db';
import { createDeviceRegistryFromConfig, loadDevicesConfig } from '@zenthos/devices';
import type { RegisterMode } from '../domain/options';
import type { DeviceCredentials, OtaApiClient } from './ota-api-client';

/** Gets a token for each device id, registering the devices that are new. */
export type Registrar = (ids: readonly string[], model: string, onProgress?: (done: number) => void) => Promise<DeviceCredentials[]>;

/** Runs `fn` over `items` with at most `concurrency` at once, keeping the order of the results. */
export async function mapLimited<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * The registrar of a mode:
 * - `db`: the device registry of @zenthos/devices over Postgres (the platform key from the
 *   DEVICE_TOKEN_* variables or the development key in ZENTHOS_KEYS_DIR);
 * - `api`: `POST /devices` of the OTA API with a management token;
 * - `none`: no registration; the password is then empty and only an open broker accepts it.
 * A device that exists already gets a fresh token (rotation); its old tokens stay valid.
 */
export function createRegistrar(
  mode: RegisterMode,
  deps: { env: NodeJS.ProcessEnv | Record<string, string | undefined>; ota?: OtaApiClient; concurrency: number },
): Registrar {
  if (mode === 'none') return async (ids) => ids.map((deviceId) => ({ deviceId, token: '' }));
  if (mode === 'api') {
    const ota = deps.ota;
    if (!ota)
      throw new ZenthosError('ZEN_CONFIG_INVALID', '--register api needs SIM_OTA_API_TOKEN (a management token with scope publish)');
    return async (ids, model, onProgress) => {
      let done = 0;
      return mapLimited(ids, deps.concurrency, async (id) => {
        const credentials = await ota.registerDevice({ id, model, tags: ['simulated'] });
        onProgress?.(++done);
        return credentials;
      });
    };
  }
  return async (ids, model, onProgress) => {
    const config = loadDevicesConfig(deps.env);
    const pool = createPool(config.DATABASE_URL, { max: Math.min(10, deps.concurrency), applicationName: 'zenthos-sim' });
    try {
      const registry = createDeviceRegistryFromConfig(config, pool);
      let done = 0;
      return await mapLimited(ids, deps.concurrency, async (id) => {
        let token: string;
        try {
          token = (await registry.registerDevice({ id, model, tags: ['simulated'] })).token;
        } catch (err) {
          if (!isZenthosError(err, 'ZEN_CONFLICT')) throw err;
          token = (await registry.issueDeviceToken(id)).token;
        }
        onProgress?.(++done);
        return { deviceId: id, token };
      });
    } finally {
      await pool.end();
    }
  };
}
