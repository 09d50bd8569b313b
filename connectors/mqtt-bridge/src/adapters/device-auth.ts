import { ZenthosError } from '@zenthos/core';
import type { Queryable } from '@zenthos/db';
import type { DeviceRegistry } from '@zenthos/devices';
import { tokenExpiresAtMs } from '../domain/token-expiry';
import type { DeviceIdentity } from '../domain/topics';

/** An authenticated device and what its credential allows. */
export interface AuthenticatedDevice {
  readonly identity: DeviceIdentity;
  /** The device_credentials row behind a token; undefined for certificate logins. */
  readonly credentialId?: string | undefined;
  /** When the token expires (epoch ms); undefined for certificate logins. */
  readonly expiresAtMs?: number | undefined;
}

/** How the bridge checks device credentials (a port, so tests and other registries can plug in). */
export interface DeviceAuthenticator {
  /**
   * The device a token belongs to. Throws ZEN_DEVICE_TOKEN_INVALID, ZEN_DEVICE_TOKEN_EXPIRED or
   * ZEN_DEVICE_REVOKED; any other error means the registry could not answer.
   */
  verifyToken(token: string): Promise<AuthenticatedDevice>;
  /** A device known by id (a client certificate's CN). Throws ZEN_UNKNOWN_DEVICE or ZEN_DEVICE_REVOKED. */
  deviceById(deviceId: string): Promise<DeviceIdentity>;
  /**
   * The device ids among live sessions whose device or credential is revoked or gone, in one
   * round trip however many devices are connected.
   */
  revokedAmong(sessions: readonly { readonly deviceId: string; readonly credentialId?: string | undefined }[]): Promise<Set<string>>;
}

// Sessions checked per query: bounded statement size with any number of connected devices.
const BATCH = 5_000;

/** The authenticator over @zenthos/devices' registry (Postgres, EdDSA tokens). */
export function createRegistryAuthenticator(
  registry: Pick<DeviceRegistry, 'verifyDeviceToken' | 'getDevice'>,
  db: Queryable,
): DeviceAuthenticator {
  return {
    async verifyToken(token) {
      const { deviceId, model, credentialId } = await registry.verifyDeviceToken(token);
      return { identity: { deviceId, model }, credentialId, expiresAtMs: tokenExpiresAtMs(token) };
    },
    async deviceById(deviceId) {
      const device = await registry.getDevice(deviceId);
      if (!device) throw new ZenthosError('ZEN_UNKNOWN_DEVICE', `device ${deviceId} is not registered`);
      if (device.revokedAt) throw new ZenthosError('ZEN_DEVICE_REVOKED', `device ${deviceId} is revoked`);
      return { deviceId: device.id, model: device.model };
    },
    async revokedAmong(sessions) {
      const revoked = new Set<string>();
      for (let i = 0; i < sessions.length; i += BATCH) {
        const batch = sessions.slice(i, i + BATCH);
        // Same rule as verifyDeviceToken: a revoked device or a revoked credential (libs/db migrations).
        const { rows } = await db.query<{ device_id: string }>(
          `SELECT s.device_id
             FROM unnest($1::text[], $2::uuid[]) AS s(device_id, credential_id)
             LEFT JOIN devices d ON d.id = s.device_id
             LEFT JOIN device_credentials c ON c.id = s.credential_id
            WHERE d.id IS NULL OR d.revoked_at IS NOT NULL
               OR (s.credential_id IS NOT NULL AND (c.id IS NULL OR c.revoked_at IS NOT NULL))`,
          [batch.map((s) => s.deviceId), batch.map((s) => s.credentialId ?? null)],
        );
        for (const row of rows) revoked.add(row.device_id);
      }
      return revoked;
    },
  };
}
