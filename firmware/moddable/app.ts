import { createDevice, type Device, type DeviceSettings } from 'zenthos/domain/device';
import type { InferencePort, SensorsPort, SlotStore } from 'zenthos/domain/ports';
import { createModdableClock } from 'zenthos/moddable/clock';
import { createModdableCrypto } from 'zenthos/moddable/crypto';
import { createFirmwareSlots } from 'zenthos/moddable/firmware-slots';
import { createModdableHttp } from 'zenthos/moddable/http';
import { createModdableMqtt } from 'zenthos/moddable/mqtt';
import { randomBytes } from 'zenthos-native';

/** What a board app passes in: its sensors and, optionally, its ML model slot and runner. */
export interface BoardPorts {
  readonly sensors: SensorsPort;
  readonly modelSlots?: SlotStore;
  readonly inference?: InferencePort;
  readonly selfTest?: () => void | Promise<void>;
}

const text = (config: Readonly<Record<string, unknown>>, key: string, fallback?: string): string => {
  const v = config[key];
  if (typeof v === 'string' && v !== '') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`config ${key} is missing (set it in manifest.json or as ${key}=... on the mcconfig command line)`);
};

const number = (config: Readonly<Record<string, unknown>>, key: string, fallback: number): number => {
  const v = config[key];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fallback;
};

/**
 * Reads the device settings from the manifest config. Public keys come as
 * `zenthos_keys: "keyId=base64,keyId2=base64"` so one command-line argument carries them.
 */
export const readSettings = (
  config: Readonly<Record<string, unknown>>,
): DeviceSettings & { mqttHost: string; mqttPort: number; token?: string } => {
  const trustedKeys: Record<string, string> = {};
  for (const entry of text(config, 'zenthos_keys').split(',')) {
    const eq = entry.indexOf('=');
    if (eq > 0) trustedKeys[entry.slice(0, eq).trim()] = entry.slice(eq + 1).trim();
  }
  const token = text(config, 'zenthos_token', '');
  return {
    deviceId: text(config, 'zenthos_device_id'),
    deviceModel: text(config, 'zenthos_device_model'),
    firmwareVersion: text(config, 'zenthos_firmware_version'),
    otaBaseUrl: text(config, 'zenthos_ota_url'),
    trustedKeys,
    ...(token ? { token, httpHeaders: { authorization: `Bearer ${token}` } } : {}),
    mqttHost: text(config, 'zenthos_mqtt_host'),
    mqttPort: number(config, 'zenthos_mqtt_port', 1883),
    telemetryIntervalMs: number(config, 'zenthos_telemetry_interval_ms', 10_000),
    otaCheckIntervalMs: number(config, 'zenthos_ota_check_interval_ms', 3_600_000),
    maxBufferedMessages: number(config, 'zenthos_max_buffered', 200),
  };
};

/** Wires the Moddable adapters to the shared device logic and starts it. */
export const startApp = (config: Readonly<Record<string, unknown>>, board: BoardPorts): Device => {
  const settings = readSettings(config);
  const device = createDevice(
    {
      mqtt: createModdableMqtt({
        host: settings.mqttHost,
        port: settings.mqttPort,
        clientId: settings.deviceId,
        user: settings.deviceId,
        ...(settings.token ? { password: settings.token } : {}),
      }),
      http: createModdableHttp(),
      clock: createModdableClock(),
      sensors: board.sensors,
      random: { bytes: (count) => new Uint8Array(randomBytes(count)) },
      crypto: createModdableCrypto(),
      firmwareSlots: createFirmwareSlots(settings.firmwareVersion),
      ...(board.modelSlots ? { modelSlots: board.modelSlots } : {}),
      ...(board.inference ? { inference: board.inference } : {}),
      ...(board.selfTest ? { selfTest: board.selfTest } : {}),
      log: (line) => trace(`${line}\n`),
    },
    settings,
  );
  device.onEvent((event) => {
    if (event.type === 'ota')
      trace(`ota ${event.report.kind} ${event.report.state} ${event.report.version} ${event.report.reason ?? ''}\n`);
  });
  device.start().catch((err: unknown) => trace(`device start failed: ${String(err)}\n`));
  return device;
};
