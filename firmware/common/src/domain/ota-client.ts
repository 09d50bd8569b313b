import { FirmwareError, toFirmwareError, type FirmwareErrorCode } from '../errors';
import { concatBytes, hexEncode, utf8Decode } from './bytes';
import { parseReleaseMetadata, verifyRelease, type ReleaseMetadata } from './manifest';
import type { ClockPort, CryptoPort, HttpPort, HttpResult, ImageTag, MaybePromise, Sha256, SlotStore } from './ports';
import type { DeviceIdentity } from './telemetry';
import type { ReleaseKind } from './version';

/** The states reported to the platform on the status topic (OTA API rollouts count them). */
export type OtaReportState = 'downloading' | 'installed' | 'failed' | 'rolled_back';

/** One OTA status report. */
export interface OtaReport {
  readonly kind: ReleaseKind;
  readonly state: OtaReportState;
  readonly version: string;
  /** Error code for `failed` and `rolled_back`. */
  readonly reason?: FirmwareErrorCode | string;
}

/** Where the client is now (for the simulator's display and tests). */
export type OtaPhase = 'idle' | 'checking' | 'downloading' | 'verifying' | 'activating' | 'self-testing';

/** How one {@link OtaClient.check} ended. */
export type CheckOutcome =
  | { readonly kind: 'no-release' }
  | { readonly kind: 'up-to-date'; readonly version: string }
  | { readonly kind: 'busy' }
  | { readonly kind: 'refused'; readonly version: string; readonly error: FirmwareError }
  | { readonly kind: 'failed'; readonly version?: string; readonly error: FirmwareError }
  | { readonly kind: 'activated'; readonly version: string };

/** How a boot-time check of the slot store ended. */
export type BootOutcome =
  | { readonly kind: 'normal' }
  | { readonly kind: 'confirmed'; readonly version: string }
  | { readonly kind: 'rolled-back'; readonly version: string; readonly error: FirmwareError };

/** Settings of one OTA client (one per release kind). */
export interface OtaClientSettings {
  readonly kind: ReleaseKind;
  /** OTA API base URL, e.g. `http://ota.local:8080`. */
  readonly baseUrl: string;
  /** Path of the `latest` route; `{model}` is replaced, `?device_id=` is appended. */
  readonly latestPath: string;
  readonly trustedKeys: Readonly<Record<string, string>>;
  /** Extra request headers (e.g. `authorization: Bearer <device token>`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Consecutive failed transfers without progress before the download is given up. */
  readonly maxDownloadAttempts: number;
  readonly downloadRetryDelayMs: number;
  /** Bytes per read when re-hashing a partially written image. */
  readonly rehashChunkBytes?: number;
}

/** Ports of one OTA client. */
export interface OtaClientPorts {
  readonly http: HttpPort;
  readonly clock: ClockPort;
  readonly crypto: CryptoPort;
  readonly slots: SlotStore;
  /** Sends a report to the platform (the device queues it as a QoS 1 status message). */
  readonly report: (report: OtaReport) => void;
  /** Version installed now, `undefined` when nothing is installed yet (models). */
  readonly currentVersion: () => MaybePromise<string | undefined>;
  /** Checks a freshly activated image; throws when it is not good. */
  readonly selfTest: (version: string) => MaybePromise<void>;
  /** Runs before a firmware reboot, so queued reports reach the broker first. */
  readonly beforeActivate?: () => MaybePromise<void>;
  /** For models: loads the active model after a switch or a rollback. */
  readonly afterSwitch?: (version: string | undefined) => MaybePromise<void>;
  readonly log?: (line: string) => void;
}

/** The OTA client of one release kind. */
export interface OtaClient {
  readonly phase: OtaPhase;
  /** Asks the OTA API for `latest` and installs it when it is newer and verifies. */
  check(): Promise<CheckOutcome>;
  /** Run once at start: report a past rollback; self-test and confirm (or roll back) a pending image. */
  handleBoot(): Promise<BootOutcome>;
}

const sleep = (clock: ClockPort, ms: number): Promise<void> =>
  new Promise((resolve) => {
    clock.schedule(ms, resolve);
  });

const joinUrl = (base: string, path: string): string => {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  return base.replace(/\/+$/, '') + (path.startsWith('/') ? path : `/${path}`);
};

// `Content-Range: bytes 1024-4095/4096` → 1024 (RFC 9110 §14.4).
const rangeStart = (headers: Readonly<Record<string, string>>): number | undefined => {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec((headers['content-range'] ?? '').trim());
  return m ? Number(m[1]) : undefined;
};

// Transient server answers are worth another try; the rest mean the request itself is wrong.
const retriableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Creates the OTA client state machine for one kind of release:
 *
 * ```
 * idle → checking → (refused | up-to-date) → idle
 *                 → downloading ⟲ (Range resume) → verifying → activating
 * firmware: activating = reboot into the pending slot; next boot: handleBoot → self-testing → confirm | rollback
 * model:    activating = load the pending model → self-testing → confirm | rollback
 * ```
 *
 * Every step that can fail ends in a `failed` report with an error code, and the inactive slot is
 * discarded, except after a broken transfer, whose bytes are kept for the Range resume.
 */
export const createOtaClient = (identity: DeviceIdentity, settings: OtaClientSettings, ports: OtaClientPorts): OtaClient => {
  let phase: OtaPhase = 'idle';
  // One report per refused version and reason, so a schedule does not repeat it every hour.
  const refusedReported = new Set<string>();
  const log = (line: string): void => ports.log?.(`ota[${settings.kind}] ${line}`);

  const fetchMetadata = async (): Promise<ReleaseMetadata | undefined> => {
    const path = settings.latestPath.replace('{model}', encodeURIComponent(identity.deviceModel));
    const url = `${joinUrl(settings.baseUrl, path)}${path.includes('?') ? '&' : '?'}device_id=${encodeURIComponent(identity.deviceId)}`;
    const chunks: Uint8Array[] = [];
    let result: HttpResult;
    try {
      result = await ports.http.get(
        { url, headers: { accept: 'application/json', ...settings.headers } },
        { onChunk: (c) => void chunks.push(c) },
      );
    } catch (err) {
      throw toFirmwareError(err, 'ZEN_FW_HTTP_FAILED', true);
    }
    if (result.status === 404 || result.status === 204) return undefined;
    if (result.status !== 200)
      throw new FirmwareError('ZEN_FW_HTTP_STATUS', `GET ${url} answered ${result.status}`, retriableStatus(result.status));
    let json: unknown;
    try {
      json = JSON.parse(utf8Decode(concatBytes(chunks)));
    } catch {
      throw new FirmwareError('ZEN_FW_METADATA_INVALID', 'release metadata is not JSON');
    }
    return parseReleaseMetadata(json);
  };

  const rehash = async (hasher: Sha256, bytes: number): Promise<void> => {
    const step = settings.rehashChunkBytes ?? 4096;
    for (let offset = 0; offset < bytes; offset += step) {
      hasher.update(await ports.slots.read(offset, Math.min(step, bytes - offset)));
    }
  };

  /** Downloads into the inactive slot, resuming with `Range` after a break; returns the digest. */
  const download = async (meta: ReleaseMetadata, tag: ImageTag): Promise<string> => {
    const { writtenBytes } = await ports.slots.beginWrite(tag);
    let written = Math.min(writtenBytes, tag.size);
    let hasher = ports.crypto.createSha256();
    if (written > 0) {
      log(`resuming ${tag.version} at byte ${written}`);
      await rehash(hasher, written);
    }
    const url = joinUrl(settings.baseUrl, meta.binary_url);
    let failures = 0;
    while (written < tag.size) {
      const before = written;
      const requestedFrom = written;
      try {
        const headers: Record<string, string> = { accept: 'application/octet-stream', ...settings.headers };
        if (requestedFrom > 0) headers.range = `bytes=${requestedFrom}-`;
        await ports.http.get(
          { url, headers },
          {
            onResponse: async (res) => {
              if (res.status === 206 && requestedFrom > 0) {
                if (rangeStart(res.headers) !== requestedFrom) {
                  throw new FirmwareError(
                    'ZEN_FW_RANGE_MISMATCH',
                    `asked for bytes from ${requestedFrom}, got ${res.headers['content-range'] ?? 'no Content-Range'}`,
                  );
                }
              } else if (res.status === 200) {
                // The server ignored Range (allowed by RFC 9110 §14.2): start over from byte 0.
                if (requestedFrom > 0) {
                  log('server ignored Range, restarting from byte 0');
                  await ports.slots.discard();
                  await ports.slots.beginWrite(tag);
                  hasher = ports.crypto.createSha256();
                  written = 0;
                }
              } else if (res.status === 416) {
                // RFC 9110 §15.5.17: nothing at or after byte `requestedFrom`, so the served image
                // is shorter than the signed size.
                throw new FirmwareError(
                  'ZEN_FW_SIZE_MISMATCH',
                  `image ends before the signed ${tag.size} bytes (416 at byte ${requestedFrom})`,
                );
              } else {
                throw new FirmwareError('ZEN_FW_HTTP_STATUS', `GET ${url} answered ${res.status}`, retriableStatus(res.status));
              }
            },
            onChunk: async (chunk) => {
              if (written + chunk.length > tag.size) {
                throw new FirmwareError('ZEN_FW_SIZE_MISMATCH', `image is larger than the signed ${tag.size} bytes`);
              }
              try {
                await ports.slots.write(chunk);
              } catch (err) {
                throw toFirmwareError(err, 'ZEN_FW_FLASH_FAILED');
              }
              hasher.update(chunk);
              written += chunk.length;
            },
          },
        );
        if (written < tag.size)
          throw new FirmwareError('ZEN_FW_DOWNLOAD_FAILED', `transfer ended after ${written} of ${tag.size} bytes`, true);
      } catch (err) {
        // Breaks of the transfer itself (sockets, timeouts) are retriable; what the port threw
        // without a code is treated as such, coded refusals (size, range, flash) are not.
        const error = err instanceof FirmwareError ? err : toFirmwareError(err, 'ZEN_FW_DOWNLOAD_FAILED', true);
        if (!error.retriable) throw error;
        failures = written > before ? 1 : failures + 1;
        if (failures >= settings.maxDownloadAttempts) {
          throw new FirmwareError('ZEN_FW_DOWNLOAD_FAILED', `download gave up after ${failures} attempts: ${error.message}`, true);
        }
        log(`transfer broke at byte ${written} (${error.code}), retrying`);
        await sleep(ports.clock, settings.downloadRetryDelayMs);
      }
    }
    return hexEncode(hasher.digest());
  };

  const fail = async (version: string, error: FirmwareError, discard: boolean): Promise<CheckOutcome> => {
    if (discard) {
      try {
        await ports.slots.discard();
      } catch (err) {
        log(`discard failed: ${toFirmwareError(err).message}`);
      }
    }
    ports.report({ kind: settings.kind, state: 'failed', version, reason: error.code });
    return { kind: 'failed', version, error };
  };

  /** Self-tests the active pending image; confirms it or rolls back. */
  const settle = async (version: string): Promise<BootOutcome> => {
    phase = 'self-testing';
    try {
      await ports.selfTest(version);
    } catch (err) {
      const error = toFirmwareError(err, 'ZEN_FW_SELF_TEST_FAILED');
      const reason = error.code === 'ZEN_FW_INTERNAL' ? 'ZEN_FW_SELF_TEST_FAILED' : error.code;
      log(`self-test of ${version} failed (${error.message}), rolling back`);
      await ports.slots.rollback(reason);
      if (settings.kind === 'model') {
        // A model switch needs no reboot: report now and reload the previous model.
        await ports.slots.clearRollbackNotice();
        const info = await ports.slots.bootInfo();
        await ports.afterSwitch?.(info.version);
        ports.report({ kind: settings.kind, state: 'rolled_back', version, reason });
      }
      return { kind: 'rolled-back', version, error: new FirmwareError(reason as FirmwareErrorCode, error.message) };
    }
    await ports.slots.confirm();
    ports.report({ kind: settings.kind, state: 'installed', version });
    return { kind: 'confirmed', version };
  };

  const check = async (): Promise<CheckOutcome> => {
    if (phase !== 'idle') return { kind: 'busy' };
    // Until a pending image is confirmed, the other slot is its way back: no new download.
    if ((await ports.slots.bootInfo()).state === 'pending') return { kind: 'busy' };
    if (phase !== 'idle') return { kind: 'busy' }; // another check started while we awaited
    phase = 'checking';
    try {
      let meta: ReleaseMetadata | undefined;
      try {
        meta = await fetchMetadata();
      } catch (err) {
        return { kind: 'failed', error: toFirmwareError(err) };
      }
      if (!meta) return { kind: 'no-release' };
      const current = await ports.currentVersion();
      if (meta.manifest.version === current) return { kind: 'up-to-date', version: current };
      const version = meta.manifest.version;
      try {
        await verifyRelease(meta, {
          kind: settings.kind,
          deviceModel: identity.deviceModel,
          currentVersion: current,
          nowMs: ports.clock.nowMs(),
          trustedKeys: settings.trustedKeys,
          capacityBytes: await ports.slots.capacityBytes(),
          crypto: ports.crypto,
        });
      } catch (err) {
        const error = toFirmwareError(err);
        const key = `${version}:${error.code}`;
        if (!refusedReported.has(key)) {
          refusedReported.add(key);
          ports.report({ kind: settings.kind, state: 'failed', version, reason: error.code });
        }
        log(`refused ${version}: ${error.code}`);
        return { kind: 'refused', version, error };
      }

      phase = 'downloading';
      ports.report({ kind: settings.kind, state: 'downloading', version });
      const tag: ImageTag = { version, sha256: meta.manifest.sha256, size: meta.manifest.size };
      let digest: string;
      try {
        digest = await download(meta, tag);
      } catch (err) {
        const error = toFirmwareError(err, 'ZEN_FW_DOWNLOAD_FAILED');
        // Keep the bytes of a transfer that merely broke off: the next check resumes them.
        return await fail(version, error, !error.retriable);
      }

      phase = 'verifying';
      if (digest !== tag.sha256) {
        return await fail(
          version,
          new FirmwareError('ZEN_FW_HASH_MISMATCH', `image sha256 ${digest} is not the signed ${tag.sha256}`),
          true,
        );
      }
      try {
        await ports.slots.setPending(tag);
      } catch (err) {
        return await fail(version, toFirmwareError(err, 'ZEN_FW_FLASH_FAILED'), true);
      }

      phase = 'activating';
      if (settings.kind === 'firmware') {
        await ports.beforeActivate?.();
        // On the device this reboots and never returns; the next boot runs handleBoot.
        await ports.slots.activate();
        return { kind: 'activated', version };
      }
      await ports.slots.activate();
      await ports.afterSwitch?.(version);
      const settled = await settle(version);
      return settled.kind === 'rolled-back' ? { kind: 'failed', version, error: settled.error } : { kind: 'activated', version };
    } finally {
      phase = 'idle';
    }
  };

  const handleBoot = async (): Promise<BootOutcome> => {
    const info = await ports.slots.bootInfo();
    if (info.rolledBack) {
      ports.report({ kind: settings.kind, state: 'rolled_back', version: info.rolledBack.version, reason: info.rolledBack.reason });
      await ports.slots.clearRollbackNotice();
    }
    if (info.state !== 'pending' || info.version === undefined) {
      return info.rolledBack
        ? { kind: 'rolled-back', version: info.rolledBack.version, error: new FirmwareError('ZEN_FW_BOOT_FAILED', info.rolledBack.reason) }
        : { kind: 'normal' };
    }
    try {
      return await settle(info.version);
    } finally {
      phase = 'idle';
    }
  };

  return {
    get phase() {
      return phase;
    },
    check,
    handleBoot,
  };
};
