import { ZenthosError } from '@zenthos/core';
import type { DeviceRegistry } from '@zenthos/devices';
import type { DeviceIdentity } from '../domain/topics';

/** How the bridge checks device credentials (a port, so tests and other registries can plug in). */
export interface DeviceAuthenticator {
  /**
   * The device a token belongs to. Throws ZEN_DEVICE_TOKEN_INVALID, ZEN_DEVICE_TOKEN_EXPIRED or
   * ZEN_DEVICE_REVOKED; any other error means the registry could not answer.
   */
  verifyToken(token: string): Promise<DeviceIdentity>;
  /** A device known by id (a client certificate's CN). Throws ZEN_UNKNOWN_DEVICE or ZEN_DEVICE_REVOKED. */
  deviceById(deviceId: string): Promise<DeviceIdentity>;
}

/** The authenticator over @zenthos/devices' registry (Postgres, EdDSA tokens). */
export function createRegistryAuthenticator(registry: Pick<DeviceRegistry, 'verifyDeviceToken' | 'getDevice'>): DeviceAuthenticator {
  return {
    async verifyToken(token) {
      const { deviceId, model } = await registry.verifyDeviceToken(token);
      return { deviceId, model };
    },
    async deviceById(deviceId) {
      const device = await registry.getDevice(deviceId);
      if (!device) throw new ZenthosError('ZEN_UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
      if (device.revokedAt) throw new ZenthosError('ZEN_DEVICE_REVOKED', `device ${deviceId} is revoked`);
      return { deviceId: device.id, model: device.model };
    },
  };
}
