import Flash from 'flash';
import OTA from 'ota';
import Preference from 'preference';
import { markValid, restart, rollbackAndReboot, runningState } from 'zenthos-native';
import { FirmwareError } from 'zenthos/errors';
import type { BootInfo, ImageTag, SlotStore } from 'zenthos/domain/ports';

const domain = 'zen-ota';

const stringPref = (key: string): string | undefined => {
  const v = Preference.get(domain, key);
  return typeof v === 'string' ? v : undefined;
};

const sameTag = (a: ImageTag | undefined, b: ImageTag): boolean =>
  a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.size === b.size;

/**
 * Firmware SlotStore over the ESP-IDF two-app-partition scheme (ota_0 / ota_1) with the
 * bootloader's app rollback (CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE): `ota` writes the next
 * partition and makes it the boot partition; the new image boots PENDING_VERIFY and must call
 * esp_ota_mark_app_valid_cancel_rollback, or the bootloader returns to the previous one.
 *
 * NVS (`preference`) keeps what must survive the reboot: the version that was made pending
 * (`pending`), and why a rollback happened (`rb-ver`, `rb-why`), so the previous firmware can
 * report it. A partial download survives only within one boot: ESP-IDF restarts an OTA write
 * from scratch after a reset.
 */
export const createFirmwareSlots = (firmwareVersion: string): SlotStore => {
  let session: { tag: ImageTag; ota: OTA; written: number } | undefined;

  const bootInfo = (): BootInfo => {
    const state = runningState() === 'pending' ? 'pending' : 'confirmed';
    let rolledBack: BootInfo['rolledBack'];
    const rbVersion = stringPref('rb-ver');
    const pending = stringPref('pending');
    if (rbVersion !== undefined) rolledBack = { version: rbVersion, reason: stringPref('rb-why') ?? 'ZEN_FW_SELF_TEST_FAILED' };
    // A pending version that is not running and never confirmed: the bootloader rolled it back
    // (the image crashed or hung before its self-test could run).
    else if (pending !== undefined && pending !== firmwareVersion && state === 'confirmed')
      rolledBack = { version: pending, reason: 'ZEN_FW_BOOT_FAILED' };
    return { version: firmwareVersion, state, ...(rolledBack ? { rolledBack } : {}) };
  };

  return {
    capacityBytes: () => new Flash('nextota').byteLength,
    bootInfo,
    beginWrite(tag) {
      if (session && sameTag(session.tag, tag)) return { writtenBytes: session.written };
      session?.ota.cancel();
      session = { tag, ota: new OTA({ byteLength: tag.size }), written: 0 };
      return { writtenBytes: 0 };
    },
    write(chunk) {
      if (!session) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write before beginWrite');
      session.ota.write(chunk.slice().buffer as ArrayBuffer);
      session.written += chunk.length;
    },
    read(offset, byteLength) {
      return new Uint8Array(new Flash('nextota').read(offset, byteLength));
    },
    discard() {
      session?.ota.cancel();
      session = undefined;
    },
    setPending(tag) {
      if (!session || !sameTag(session.tag, tag) || session.written !== tag.size) {
        throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'next partition does not hold this complete image');
      }
      session.ota.complete();
      session = undefined;
      Preference.set(domain, 'pending', tag.version);
    },
    activate() {
      restart();
    },
    confirm() {
      markValid();
      Preference.delete(domain, 'pending');
    },
    rollback(reason) {
      Preference.set(domain, 'rb-ver', firmwareVersion);
      Preference.set(domain, 'rb-why', reason);
      Preference.delete(domain, 'pending');
      rollbackAndReboot();
    },
    clearRollbackNotice() {
      Preference.delete(domain, 'rb-ver');
      Preference.delete(domain, 'rb-why');
      Preference.delete(domain, 'pending');
    },
  };
};
