import { FirmwareError, toFirmwareError } from '../errors';
import { utf8Decode, utf8Encode } from './bytes';
import { createOtaClient, type CheckOutcome, type OtaClient, type OtaPhase, type OtaReport } from './ota-client';
import type { DevicePorts, SensorReadings } from './ports';
import { createPublisher, type PublishCounters } from './publisher';
import { buildInference, buildStatus, type MessageContext } from './messages';
import { buildTelemetry, topicFor, type DeviceIdentity } from './telemetry';
import { uuidV4 } from './uuid';
import type { ReleaseKind } from './version';

/** Settings of one device. Durations are in milliseconds; 0 turns a periodic task off. */
export interface DeviceSettings extends DeviceIdentity {
  /** Version of the firmware image running this code (`vMAJOR.MINOR.PATCH`). */
  readonly firmwareVersion: string;
  /** OTA API base URL, e.g. `http://192.168.1.10:8080`. */
  readonly otaBaseUrl: string;
  /** Default `/firmware/{model}/latest`. */
  readonly firmwareLatestPath?: string;
  /** Default `/models/{model}/latest`. */
  readonly modelLatestPath?: string;
  /** Ed25519 public keys built into the firmware, by key id (base64 raw or SPKI DER). */
  readonly trustedKeys: Readonly<Record<string, string>>;
  /** Extra headers for OTA API requests, e.g. `{ authorization: 'Bearer <device token>' }`. */
  readonly httpHeaders?: Readonly<Record<string, string>>;
  /** Default 10 s. */
  readonly telemetryIntervalMs?: number;
  /** Default: the telemetry interval; runs only with an inference port and a model installed. */
  readonly inferenceIntervalMs?: number;
  /** Default 1 h. The first check runs right after start. */
  readonly otaCheckIntervalMs?: number;
  /** Default 500. */
  readonly maxBufferedMessages?: number;
  /** Default 4. */
  readonly maxInFlight?: number;
  /** Default 2 s. */
  readonly publishRetryDelayMs?: number;
  /** Default 5. */
  readonly maxDownloadAttempts?: number;
  /** Default 2 s. */
  readonly downloadRetryDelayMs?: number;
  /** How long a new firmware may take to reach the broker before it counts as bad. Default 30 s. */
  readonly selfTestTimeoutMs?: number;
  /** Wait between SNTP attempts. Default 5 s. */
  readonly timeSyncRetryMs?: number;
  /** How long to wait for queued reports before an OTA reboot. Default 5 s. */
  readonly drainBeforeRebootMs?: number;
  /**
   * A notification on the ota topic names the version it announces. When `latest` still answers
   * another one (the notice may overtake the platform's commit or its cache), one more check runs
   * after this delay. Default 5 s; 0 turns the second check off.
   */
  readonly otaRecheckDelayMs?: number;
}

/** Counters of a running device; the object is live (updated in place) and read-only to callers. */
export interface DeviceCounters extends PublishCounters {
  otaChecks: number;
  otaInstalled: number;
  otaFailed: number;
  otaRolledBack: number;
  inferences: number;
}

/** What a device reports through {@link DeviceSettings}-independent listeners. */
export type DeviceEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected'; readonly reason?: string }
  | { readonly type: 'ota'; readonly report: OtaReport }
  | { readonly type: 'error'; readonly error: FirmwareError };

/** A running device. */
export interface Device {
  /** Connects, syncs time, settles a pending update, then samples and checks on schedule. */
  start(): Promise<void>;
  /** Stops every timer and disconnects; buffered messages that did not go out are kept in RAM only. */
  stop(): Promise<void>;
  /** Live counters. */
  readonly counters: Readonly<DeviceCounters>;
  /** Phase of the firmware and model OTA clients. */
  readonly otaPhase: { readonly firmware: OtaPhase; readonly model: OtaPhase | undefined };
  /** Samples sensors once and queues the telemetry (and inference) messages now. */
  sampleNow(): Promise<void>;
  /** Runs an OTA check now. */
  checkForUpdates(kind: ReleaseKind): Promise<void>;
  /** Resolves when every queued message was acknowledged (or `false` after the timeout). */
  drain(timeoutMs: number): Promise<boolean>;
  /** Subscribes to device events; returns the unsubscribe function. */
  onEvent(listener: (event: DeviceEvent) => void): () => void;
}

interface Timer {
  handle: unknown;
}

/**
 * Creates a device over its ports. The same code runs on the ESP32 (Moddable SDK adapters) and in
 * the host simulator (Node adapters): nothing here touches a platform API directly.
 */
export const createDevice = (ports: DevicePorts, settings: DeviceSettings): Device => {
  const identity: DeviceIdentity = { deviceId: settings.deviceId, deviceModel: settings.deviceModel };
  const telemetryIntervalMs = settings.telemetryIntervalMs ?? 10_000;
  const inferenceIntervalMs = settings.inferenceIntervalMs ?? telemetryIntervalMs;
  const otaCheckIntervalMs = settings.otaCheckIntervalMs ?? 3_600_000;
  const counters: DeviceCounters = {
    sent: 0,
    acknowledged: 0,
    errors: 0,
    buffered: 0,
    dropped: 0,
    inFlight: 0,
    otaChecks: 0,
    otaInstalled: 0,
    otaFailed: 0,
    otaRolledBack: 0,
    inferences: 0,
  };
  const listeners = new Set<(event: DeviceEvent) => void>();
  const emit = (event: DeviceEvent): void => {
    for (const l of listeners) l(event);
  };
  const log = (line: string): void => ports.log?.(`[${settings.deviceId}] ${line}`);
  const countError = (err: unknown, code: FirmwareError['code']): void => {
    counters.errors++;
    const error = toFirmwareError(err, code);
    log(`${error.code}: ${error.message}`);
    emit({ type: 'error', error });
  };

  const publisher = createPublisher(
    { mqtt: ports.mqtt, clock: ports.clock, log },
    {
      maxBufferedMessages: settings.maxBufferedMessages ?? 500,
      maxInFlight: settings.maxInFlight ?? 4,
      retryDelayMs: settings.publishRetryDelayMs ?? 2_000,
    },
    counters,
  );

  let modelVersion: string | undefined;
  let running = false;
  const timers: Timer[] = [];
  let connectWaiters: (() => void)[] = [];

  // Uptime counts from the first synced wall-clock reading: before SNTP answers, the device's
  // clock says 1970 and a difference with it would be meaningless.
  let startedMs: number | undefined;
  const messageContext = (): MessageContext & { uptimeS?: number } => ({
    identity,
    messageId: uuidV4(ports.random),
    nowMs: ports.clock.nowMs(),
    firmwareVersion: settings.firmwareVersion,
    modelVersion,
    ...(startedMs === undefined ? {} : { uptimeS: Math.max(0, Math.floor((ports.clock.nowMs() - startedMs) / 1000)) }),
  });

  const publishJson = (channel: 'status' | 'inference' | 'telemetry', body: unknown): void => {
    publisher.enqueue(topicFor(identity, channel), utf8Encode(JSON.stringify(body)));
  };

  const report = (r: OtaReport): void => {
    if (r.state === 'installed') counters.otaInstalled++;
    else if (r.state === 'failed') counters.otaFailed++;
    else if (r.state === 'rolled_back') counters.otaRolledBack++;
    publishJson('status', buildStatus(messageContext(), r));
    emit({ type: 'ota', report: r });
  };

  const waitConnected = (timeoutMs: number): Promise<void> =>
    publisher.connected
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const handle = ports.clock.schedule(timeoutMs, () => {
            connectWaiters = connectWaiters.filter((w) => w !== done);
            reject(new FirmwareError('ZEN_FW_MQTT_NOT_CONNECTED', `no broker connection within ${timeoutMs} ms`));
          });
          const done = (): void => {
            ports.clock.cancel(handle);
            resolve();
          };
          connectWaiters.push(done);
        });

  const otaSettings = {
    baseUrl: settings.otaBaseUrl,
    trustedKeys: settings.trustedKeys,
    maxDownloadAttempts: settings.maxDownloadAttempts ?? 5,
    downloadRetryDelayMs: settings.downloadRetryDelayMs ?? 2_000,
    ...(settings.httpHeaders ? { headers: settings.httpHeaders } : {}),
  };
  const common = { http: ports.http, clock: ports.clock, crypto: ports.crypto, report, ...(ports.log ? { log } : {}) };

  const firmwareOta: OtaClient = createOtaClient(
    identity,
    { ...otaSettings, kind: 'firmware', latestPath: settings.firmwareLatestPath ?? '/firmware/{model}/latest' },
    {
      ...common,
      slots: ports.firmwareSlots,
      currentVersion: () => settings.firmwareVersion,
      // A new firmware is good when it reaches the broker and passes the board's own checks.
      selfTest: async () => {
        await waitConnected(settings.selfTestTimeoutMs ?? 30_000);
        await ports.selfTest?.();
      },
      beforeActivate: async () => {
        await publisher.drain(settings.drainBeforeRebootMs ?? 5_000);
      },
    },
  );

  const modelSlots = ports.modelSlots;
  const inference = ports.inference;
  const modelOta: OtaClient | undefined =
    modelSlots && inference
      ? createOtaClient(
          identity,
          { ...otaSettings, kind: 'model', latestPath: settings.modelLatestPath ?? '/models/{model}/latest' },
          {
            ...common,
            slots: modelSlots,
            currentVersion: async () => (await modelSlots.bootInfo()).version,
            // A new model is good when it loads and answers one real sample.
            selfTest: async () => {
              const sample = await ports.sensors.read();
              const out = await inference.run(sample);
              if (typeof out.confidence !== 'number' || !Number.isFinite(out.confidence)) {
                throw new FirmwareError('ZEN_FW_INFERENCE_FAILED', 'model returned no confidence');
              }
            },
            afterSwitch: async (version) => {
              modelVersion = version;
              if (version !== undefined) await inference.load(version);
            },
          },
        )
      : undefined;

  const every = (intervalMs: number, task: () => Promise<void>, runFirst: boolean): void => {
    if (intervalMs <= 0) return;
    const timer: Timer = { handle: undefined };
    const tick = (): void => {
      if (!running) return;
      void task().finally(() => {
        if (running) timer.handle = ports.clock.schedule(intervalMs, tick);
      });
    };
    timers.push(timer);
    timer.handle = ports.clock.schedule(runFirst ? 0 : intervalMs, tick);
  };

  const sampleTelemetry = async (): Promise<SensorReadings | undefined> => {
    if (!ports.clock.synced()) return undefined;
    let sensors: SensorReadings;
    try {
      sensors = await ports.sensors.read();
    } catch (err) {
      countError(err, 'ZEN_FW_SENSOR_FAILED');
      return undefined;
    }
    const { payload, rejected } = buildTelemetry({
      identity,
      messageId: uuidV4(ports.random),
      nowMs: ports.clock.nowMs(),
      sensors,
      firmwareVersion: settings.firmwareVersion,
      modelVersion,
    });
    if (rejected.length > 0)
      countError(new FirmwareError('ZEN_FW_SENSOR_FAILED', `non-numeric readings: ${rejected.join(', ')}`), 'ZEN_FW_SENSOR_FAILED');
    publishJson('telemetry', payload);
    return sensors;
  };

  const runInference = async (sample?: SensorReadings): Promise<void> => {
    if (!inference || modelVersion === undefined || !ports.clock.synced()) return;
    try {
      const input = sample ?? (await ports.sensors.read());
      const version = modelVersion;
      const startedRunMs = ports.clock.nowMs();
      const out = await inference.run(input);
      const latencyMs = ports.clock.nowMs() - startedRunMs;
      counters.inferences++;
      publishJson('inference', buildInference({ ...messageContext(), modelVersion: version }, out, latencyMs));
    } catch (err) {
      countError(err, 'ZEN_FW_INFERENCE_FAILED');
    }
  };

  const runCheck = async (kind: ReleaseKind): Promise<CheckOutcome | undefined> => {
    const client = kind === 'firmware' ? firmwareOta : modelOta;
    if (!client || !ports.clock.synced()) return undefined;
    counters.otaChecks++;
    const outcome = await client.check();
    if (outcome.kind === 'failed' && outcome.version === undefined) countError(outcome.error, outcome.error.code);
    return outcome;
  };
  const checkForUpdates = async (kind: ReleaseKind): Promise<void> => void (await runCheck(kind));

  const recheckDelayMs = settings.otaRecheckDelayMs ?? 5_000;
  /** A check for a notification; once more later when the answer did not show the announced version. */
  const checkAnnounced = async (kind: ReleaseKind, announced: string | undefined): Promise<void> => {
    const outcome = await runCheck(kind);
    const missed =
      outcome !== undefined &&
      (outcome.kind === 'no-release' || outcome.kind === 'busy' || (outcome.kind === 'up-to-date' && outcome.version !== announced));
    if (announced === undefined || !missed || recheckDelayMs <= 0 || !running) return;
    const timer: Timer = { handle: undefined };
    timers.push(timer);
    timer.handle = ports.clock.schedule(recheckDelayMs, () => {
      timers.splice(timers.indexOf(timer), 1);
      if (running) void checkForUpdates(kind);
    });
  };

  const handleOtaNotification = (payload: Uint8Array): void => {
    // Any notification triggers a check: the release itself is always fetched and verified over
    // HTTP, so a forged notification can at most cause an extra request or two.
    let notice: { kind?: unknown; version?: unknown } = {};
    try {
      const parsed: unknown = JSON.parse(utf8Decode(payload));
      if (typeof parsed === 'object' && parsed !== null) notice = parsed as typeof notice;
    } catch {
      notice = {};
    }
    const kind = notice.kind;
    const announced = typeof notice.version === 'string' ? notice.version : undefined;
    const kinds: ReleaseKind[] = kind === 'firmware' || kind === 'model' ? [kind] : ['firmware', 'model'];
    for (const k of kinds) void checkAnnounced(k, announced);
  };

  const syncTime = async (): Promise<void> => {
    while (running && !ports.clock.synced()) {
      try {
        await ports.clock.sync();
      } catch (err) {
        countError(err, 'ZEN_FW_TIME_NOT_SYNCED');
        await new Promise<void>((resolve) => ports.clock.schedule(settings.timeSyncRetryMs ?? 5_000, resolve));
      }
    }
  };

  const start = async (): Promise<void> => {
    if (running) return;
    running = true;
    await ports.mqtt.start({
      onConnected: () => {
        publisher.handleConnected();
        void ports.mqtt
          .subscribe(topicFor(identity, 'ota'), { qos: 1 })
          .catch((err: unknown) => countError(err, 'ZEN_FW_MQTT_NOT_CONNECTED'));
        const waiters = connectWaiters;
        connectWaiters = [];
        for (const w of waiters) w();
        emit({ type: 'connected' });
      },
      onDisconnected: (reason) => {
        publisher.handleDisconnected();
        emit(reason === undefined ? { type: 'disconnected' } : { type: 'disconnected', reason });
      },
      onMessage: (topic, payload) => {
        if (topic === topicFor(identity, 'ota')) handleOtaNotification(payload);
      },
    });
    await syncTime();
    if (!running) return;
    startedMs = ports.clock.nowMs();
    // Settle a pending firmware first: until it is confirmed, the bootloader would roll it back.
    await firmwareOta.handleBoot();
    if (modelOta && modelSlots && inference) {
      modelVersion = (await modelSlots.bootInfo()).version;
      if (modelVersion !== undefined) {
        try {
          await inference.load(modelVersion);
        } catch (err) {
          countError(err, 'ZEN_FW_INFERENCE_FAILED');
        }
      }
      await modelOta.handleBoot();
    }
    publishJson('status', buildStatus(messageContext(), undefined, 'online'));
    every(telemetryIntervalMs, async () => void (await sampleTelemetry()), true);
    if (modelOta) every(inferenceIntervalMs, () => runInference(), false);
    every(otaCheckIntervalMs, () => checkForUpdates('firmware'), true);
    if (modelOta) every(otaCheckIntervalMs, () => checkForUpdates('model'), true);
  };

  const stop = async (): Promise<void> => {
    running = false;
    for (const t of timers) ports.clock.cancel(t.handle);
    timers.length = 0;
    publisher.close();
    await ports.mqtt.stop();
  };

  return {
    start,
    stop,
    counters,
    get otaPhase() {
      return { firmware: firmwareOta.phase, model: modelOta?.phase };
    },
    sampleNow: async () => {
      const sample = await sampleTelemetry();
      if (sample) await runInference(sample);
    },
    checkForUpdates,
    drain: (timeoutMs) => publisher.drain(timeoutMs),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
};
