export { devicesConfigShape, loadDevicesConfig, type DevicesConfig } from './config';
export { deviceErrorCodes } from './errors';
export { keyIdOf, rawPublicKey, signEd25519, verifyEd25519, isEd25519 } from './domain/ed25519';
export { signDeviceToken, verifyDeviceTokenSignature, DEVICE_ID_PATTERN, TOKEN_ISSUER, type DeviceTokenClaims } from './domain/jwt';
export { loadOrCreateEd25519Key, parseEd25519PublicKey, type Ed25519Key, type KeySources } from './adapters/key-file';
export {
  createDeviceRegistry,
  type DeviceRegistry,
  type DeviceRegistryOptions,
  type DeviceRecord,
  type DeviceIdentity,
  type RegisteredDevice,
  type IssuedToken,
  type NewDevice,
} from './adapters/device-registry';
export { createDeviceRegistryFromConfig, DEV_DEVICE_TOKEN_KEY_NAME } from './adapters/from-config';
export { registerDevicesCommands } from './cli';
