import { join } from 'node:path';
import { createDevice, type Device, type DeviceEvent, type OtaReport, type SensorReadings } from '@zenthos/firmware-common';
import {
  createFetchHttpPort,
  createFileSlotStore,
  createMqttJsPort,
  createNodeClock,
  createNodeCrypto,
  createNodeRandom,
} from '@zenthos/firmware-common/host';
import { addCounters, zeroCounters, type FleetCounters } from '../domain/progress';

/** Settings of one simulated device. Durations in milliseconds. */
export interface SimDeviceSettings {
  readonly deviceId: string;
  /** Device token: MQTT password and OTA API bearer token (DESIGN.md, MQTT credentials). */
  readonly token: string;
  readonly model: string;
  /** Version in the simulated flash the first time this device starts. */
  readonly initialFirmwareVersion: string;
  readonly mqttUrl: string;
  readonly otaUrl: string;
  /** Parent folder of the device's file-backed flash. */
  readonly stateDir: string;
  readonly telemetryIntervalMs: number;
  /** 0 turns OTA checks off. */
  readonly otaCheckIntervalMs: number;
  /** Release-signing keys built into the simulated firmware, by key id (base64 SPKI DER). */
  readonly trustedKeys: Readonly<Record<string, string>>;
  /** Largest firmware image a slot holds. */
  readonly slotCapacityBytes?: number;
  /** Called with each OTA report the firmware makes (besides its MQTT status message). */
  readonly onOtaReport?: (deviceId: string, report: OtaReport) => Promise<void>;
  readonly log?: (line: string) => void;
}

/** A simulated device that survives its own OTA reboots. */
export interface SimDevice {
  readonly deviceId: string;
  /** Connects and starts sampling. */
  start(): Promise<void>;
  /** Waits up to `drainMs` for queued messages to be acknowledged, then disconnects. */
  stop(drainMs: number): Promise<boolean>;
  /** Counters summed over every boot of this device. */
  counters(): FleetCounters;
  readonly connected: boolean;
  /** The firmware version running now. */
  readonly firmwareVersion: string;
  /** Boots so far (1 + OTA reboots and rollbacks). */
  readonly boots: number;
  onEvent(listener: (event: DeviceEvent) => void): void;
}

// A slow, smooth drift plus noise, inside the processor's sensor ranges (streams/src/config.ts).
const createSensors = (seed: number) => (): SensorReadings => {
  const t = Date.now() / 60_000 + seed;
  return {
    temperature: Math.round((22 + 4 * Math.sin(t) + Math.random()) * 100) / 100,
    humidity: Math.round((50 + 10 * Math.cos(t / 2) + 2 * Math.random()) * 100) / 100,
  };
};

/**
 * One device: the unchanged `createDevice` of @zenthos/firmware-common over the host adapters
 * (mqtt.js, fetch, a file-backed two-slot flash, the node clock, random and crypto). Where a real
 * device reboots into a new image (or back after a failed self-test), the slot store calls
 * `onReboot`; the simulator then stops this instance and boots a new one with the version the
 * flash now reports, as the bootloader would.
 */
export function createSimDevice(settings: SimDeviceSettings): SimDevice {
  const retired = zeroCounters();
  const listeners: ((event: DeviceEvent) => void)[] = [];
  let device: Device | undefined;
  let connected = false;
  let stopped = false;
  let boots = 0;
  let firmwareVersion = settings.initialFirmwareVersion;
  let rebooting: Promise<void> = Promise.resolve();
  const sensors = createSensors(settings.deviceId.length + Math.random() * 10);

  const slots = createFileSlotStore(join(settings.stateDir, settings.deviceId, 'firmware'), {
    capacityBytes: settings.slotCapacityBytes ?? 4 << 20,
    initialVersion: settings.initialFirmwareVersion,
    onReboot: () => {
      // The flash has switched slots; the running instance must not go on. Reboot after the
      // current call stack, as the chip would after esp_restart().
      rebooting = rebooting.then(() => new Promise<void>((resolve) => setImmediate(() => void reboot().finally(resolve))));
    },
  });

  const live = (): FleetCounters => {
    const c = device?.counters;
    return c
      ? {
          sent: c.sent,
          acknowledged: c.acknowledged,
          errors: c.errors,
          buffered: c.buffered,
          dropped: c.dropped,
          inFlight: c.inFlight,
          otaInstalled: c.otaInstalled,
          otaFailed: c.otaFailed,
          otaRolledBack: c.otaRolledBack,
        }
      : zeroCounters();
  };

  const boot = (): Device => {
    boots++;
    firmwareVersion = slots.bootInfo().version ?? settings.initialFirmwareVersion;
    const d = createDevice(
      {
        mqtt: createMqttJsPort({
          url: settings.mqttUrl,
          clientId: settings.deviceId,
          username: settings.deviceId,
          password: settings.token,
        }),
        http: createFetchHttpPort(),
        clock: createNodeClock(),
        sensors: { read: sensors },
        random: createNodeRandom(),
        crypto: createNodeCrypto(),
        firmwareSlots: slots,
        ...(settings.log ? { log: settings.log } : {}),
      },
      {
        deviceId: settings.deviceId,
        deviceModel: settings.model,
        firmwareVersion,
        otaBaseUrl: settings.otaUrl,
        trustedKeys: settings.trustedKeys,
        httpHeaders: { authorization: `Bearer ${settings.token}` },
        telemetryIntervalMs: settings.telemetryIntervalMs,
        otaCheckIntervalMs: settings.otaCheckIntervalMs,
        downloadRetryDelayMs: 500,
        drainBeforeRebootMs: 2_000,
      },
    );
    d.onEvent((event) => {
      if (event.type === 'connected') connected = true;
      else if (event.type === 'disconnected') connected = false;
      else if (event.type === 'ota' && settings.onOtaReport) {
        void settings.onOtaReport(settings.deviceId, event.report).catch((err: unknown) => {
          retired.errors++;
          settings.log?.(`[${settings.deviceId}] OTA report not delivered: ${(err as Error).message}`);
        });
      }
      for (const l of listeners) l(event);
    });
    return d;
  };

  const reboot = async (): Promise<void> => {
    const old = device;
    if (!old || stopped) return;
    device = undefined;
    connected = false;
    // Messages still in RAM are lost with the reboot, as on the chip: they count as dropped.
    addCounters(retired, {
      sent: old.counters.sent,
      acknowledged: old.counters.acknowledged,
      errors: old.counters.errors,
      dropped: old.counters.dropped + old.counters.buffered,
      otaInstalled: old.counters.otaInstalled,
      otaFailed: old.counters.otaFailed,
      otaRolledBack: old.counters.otaRolledBack,
    });
    await old.stop();
    if (stopped) return;
    device = boot();
    await device.start();
  };

  return {
    deviceId: settings.deviceId,
    async start() {
      device = boot();
      await device.start();
    },
    async stop(drainMs) {
      await rebooting;
      stopped = true;
      const d = device;
      if (!d) return true;
      const drained = await d.drain(drainMs);
      addCounters(retired, live());
      device = undefined;
      await d.stop();
      connected = false;
      return drained;
    },
    counters: () => addCounters(live(), retired),
    get connected() {
      return connected;
    },
    get firmwareVersion() {
      return firmwareVersion;
    },
    get boots() {
      return boots;
    },
    onEvent(listener) {
      listeners.push(listener);
    },
  };
}
