import { FirmwareError } from '../errors';
import type { BootInfo, ImageTag, SlotStore } from '../domain/ports';

interface Slot {
  tag: ImageTag | undefined;
  bytes: Uint8Array;
  length: number;
  /** Version of a complete, bootable image in this slot. */
  version: string | undefined;
}

/** Settings of {@link createMemorySlotStore}. */
export interface MemorySlotStoreSettings {
  /** Size of each of the two slots. */
  readonly capacityBytes: number;
  /** Version in the active slot at creation (confirmed); omit for an empty model store. */
  readonly initialVersion?: string;
  /**
   * Called where a real device reboots: after {@link SlotStore.activate} for firmware and after a
   * {@link SlotStore.rollback}. The simulator restarts the device from here; tests observe it.
   */
  readonly onReboot?: (reason: 'activate' | 'rollback') => void;
}

/** The in-memory store plus what tests and the simulator need to look at. */
export interface MemorySlotStore extends SlotStore {
  /** Synchronous here, which keeps tests short. */
  bootInfo(): BootInfo;
  /** Bytes written so far to the inactive slot. */
  inactiveBytes(): Uint8Array;
  /** The image bytes of the active slot. */
  activeBytes(): Uint8Array;
  /** Simulates the bootloader rolling back an image that never confirmed (crash, power loss). */
  bootloaderRollback(): void;
}

/**
 * A two-slot store in RAM with the ESP-IDF app rollback semantics: a new image boots `pending`,
 * must be confirmed, and otherwise the previous slot comes back. It has no Node dependency, so
 * the simulator can use it as is (or persist it behind its own file-backed store).
 */
export const createMemorySlotStore = (settings: MemorySlotStoreSettings): MemorySlotStore => {
  const slots: [Slot, Slot] = [
    { tag: undefined, bytes: new Uint8Array(0), length: 0, version: settings.initialVersion },
    { tag: undefined, bytes: new Uint8Array(0), length: 0, version: undefined },
  ];
  let active = 0;
  let state: BootInfo['state'] = 'confirmed';
  let next: number | undefined;
  let previous: number | undefined;
  let rolledBack: BootInfo['rolledBack'];

  const inactive = (): Slot => slots[1 - active]!;
  const sameTag = (a: ImageTag | undefined, b: ImageTag): boolean =>
    a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.size === b.size;

  const doRollback = (reason: string): void => {
    if (state !== 'pending' || previous === undefined) return;
    const failed = slots[active]!;
    rolledBack = { version: failed.version ?? 'unknown', reason };
    failed.version = undefined;
    active = previous;
    previous = undefined;
    state = 'confirmed';
  };

  return {
    capacityBytes: () => settings.capacityBytes,
    bootInfo: () => ({ version: slots[active]!.version, state, ...(rolledBack ? { rolledBack } : {}) }),
    beginWrite(tag) {
      const slot = inactive();
      if (next === 1 - active) next = undefined;
      if (sameTag(slot.tag, tag) && slot.length < tag.size && slot.version === undefined) return { writtenBytes: slot.length };
      slot.tag = tag;
      slot.bytes = new Uint8Array(Math.min(tag.size, settings.capacityBytes));
      slot.length = 0;
      slot.version = undefined;
      return { writtenBytes: 0 };
    },
    write(chunk) {
      const slot = inactive();
      if (!slot.tag) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write before beginWrite');
      if (slot.length + chunk.length > slot.bytes.length) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write past the end of the slot');
      slot.bytes.set(chunk, slot.length);
      slot.length += chunk.length;
    },
    read(offset, byteLength) {
      const slot = inactive();
      return slot.bytes.slice(offset, Math.min(offset + byteLength, slot.length));
    },
    discard() {
      const slot = inactive();
      slot.tag = undefined;
      slot.length = 0;
      slot.version = undefined;
      if (next === 1 - active) next = undefined;
    },
    setPending(tag) {
      const slot = inactive();
      if (!sameTag(slot.tag, tag) || slot.length !== tag.size)
        throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'inactive slot does not hold this complete image');
      slot.version = tag.version;
      next = 1 - active;
    },
    activate() {
      if (next === undefined) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'no pending image to activate');
      previous = active;
      active = next;
      next = undefined;
      state = 'pending';
      rolledBack = undefined;
      settings.onReboot?.('activate');
    },
    confirm() {
      state = 'confirmed';
      previous = undefined;
    },
    rollback(reason) {
      doRollback(reason);
      settings.onReboot?.('rollback');
    },
    clearRollbackNotice() {
      rolledBack = undefined;
    },
    inactiveBytes: () => inactive().bytes.slice(0, inactive().length),
    activeBytes: () => slots[active]!.bytes.slice(0, slots[active]!.length),
    bootloaderRollback: () => doRollback('ZEN_FW_BOOT_FAILED'),
  };
};
