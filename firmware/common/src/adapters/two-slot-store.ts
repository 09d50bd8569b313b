import { FirmwareError } from '../errors';
import type { BootInfo, ImageTag, SlotStore } from '../domain/ports';

/** What the store remembers about one slot. */
export interface SlotMeta {
  /** The image being (or last) written here. */
  tag?: ImageTag;
  /** Version of a complete, bootable image in this slot. */
  version?: string;
}

/** Everything a two-slot store must keep across a (simulated) reboot. */
export interface TwoSlotState {
  active: 0 | 1;
  state: BootInfo['state'];
  /** Slot made pending by setPending, switched to by activate. */
  next?: 0 | 1;
  /** Slot to return to while the active one is pending. */
  previous?: 0 | 1;
  rolledBack?: { version: string; reason: string };
  slots: [SlotMeta, SlotMeta];
}

/** Where the bytes and the state live: RAM for tests, files for the simulator. Synchronous. */
export interface SlotBackend {
  loadState(): TwoSlotState | undefined;
  saveState(state: TwoSlotState): void;
  /** Bytes in a slot. */
  size(slot: 0 | 1): number;
  /** Empties a slot. */
  truncate(slot: 0 | 1): void;
  append(slot: 0 | 1, chunk: Uint8Array): void;
  read(slot: 0 | 1, offset: number, byteLength: number): Uint8Array;
}

/** Settings of {@link createTwoSlotStore}. */
export interface TwoSlotSettings {
  /** Size of each of the two slots. */
  readonly capacityBytes: number;
  /** Version in the active slot when the backend holds no state yet (confirmed); omit for models. */
  readonly initialVersion?: string;
  /**
   * Called where a real device reboots: after {@link SlotStore.activate} (firmware) and after a
   * {@link SlotStore.rollback}. The simulator restarts the device from here; tests observe it.
   */
  readonly onReboot?: (reason: 'activate' | 'rollback') => void;
}

/** A two-slot store with synchronous answers, plus what tests and the simulator inspect. */
export interface TwoSlotStore extends SlotStore {
  bootInfo(): BootInfo;
  /** Bytes written so far to the inactive slot. */
  inactiveBytes(): Uint8Array;
  /** The image bytes of the active slot. */
  activeBytes(): Uint8Array;
  /** Simulates the bootloader rolling back an image that never confirmed (crash, power loss). */
  bootloaderRollback(): void;
}

/**
 * The ESP-IDF app rollback scheme over any {@link SlotBackend}: writes go to the inactive slot; a
 * complete image becomes pending, boots (or loads) `pending`, and is either confirmed or replaced
 * by the previous slot, with the reason kept until reported.
 */
export const createTwoSlotStore = (backend: SlotBackend, settings: TwoSlotSettings): TwoSlotStore => {
  const s: TwoSlotState = backend.loadState() ?? {
    active: 0,
    state: 'confirmed',
    slots: [settings.initialVersion === undefined ? {} : { version: settings.initialVersion }, {}],
  };
  const save = (): void => backend.saveState(s);
  const inactive = (): 0 | 1 => (s.active === 0 ? 1 : 0);
  const sameTag = (a: ImageTag | undefined, b: ImageTag): boolean =>
    a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.size === b.size;

  // ESP-IDF refuses esp_ota_begin while the running app is PENDING_VERIFY
  // (ESP_ERR_OTA_ROLLBACK_INVALID_STATE): the other slot is the way back and must stay intact.
  const assertSettled = (): void => {
    if (s.state === 'pending')
      throw new FirmwareError('ZEN_FW_BUSY', 'the active image is not confirmed yet; the other slot is its rollback');
  };

  const doRollback = (reason: string): void => {
    if (s.state !== 'pending' || s.previous === undefined) return;
    const failed = s.slots[s.active];
    s.rolledBack = { version: failed.version ?? 'unknown', reason };
    delete failed.version;
    s.active = s.previous;
    delete s.previous;
    s.state = 'confirmed';
    save();
  };

  return {
    capacityBytes: () => settings.capacityBytes,
    bootInfo: () => ({ version: s.slots[s.active].version, state: s.state, ...(s.rolledBack ? { rolledBack: { ...s.rolledBack } } : {}) }),
    beginWrite(tag) {
      assertSettled();
      const i = inactive();
      const meta = s.slots[i];
      if (s.next === i) delete s.next;
      const written = backend.size(i);
      if (sameTag(meta.tag, tag) && meta.version === undefined && written < tag.size) return { writtenBytes: written };
      backend.truncate(i);
      s.slots[i] = { tag };
      save();
      return { writtenBytes: 0 };
    },
    write(chunk) {
      assertSettled();
      const i = inactive();
      const meta = s.slots[i];
      if (!meta.tag) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write before beginWrite');
      if (backend.size(i) + chunk.length > Math.min(meta.tag.size, settings.capacityBytes)) {
        throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write past the end of the slot');
      }
      backend.append(i, chunk);
    },
    read(offset, byteLength) {
      const i = inactive();
      return backend.read(i, offset, Math.max(0, Math.min(byteLength, backend.size(i) - offset)));
    },
    discard() {
      assertSettled();
      const i = inactive();
      backend.truncate(i);
      s.slots[i] = {};
      if (s.next === i) delete s.next;
      save();
    },
    setPending(tag) {
      const i = inactive();
      if (!sameTag(s.slots[i].tag, tag) || backend.size(i) !== tag.size) {
        throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'inactive slot does not hold this complete image');
      }
      s.slots[i].version = tag.version;
      s.next = i;
      save();
    },
    activate() {
      if (s.next === undefined) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'no pending image to activate');
      s.previous = s.active;
      s.active = s.next;
      delete s.next;
      s.state = 'pending';
      delete s.rolledBack;
      save();
      settings.onReboot?.('activate');
    },
    confirm() {
      s.state = 'confirmed';
      delete s.previous;
      save();
    },
    rollback(reason) {
      doRollback(reason);
      settings.onReboot?.('rollback');
    },
    clearRollbackNotice() {
      delete s.rolledBack;
      save();
    },
    inactiveBytes: () => backend.read(inactive(), 0, backend.size(inactive())),
    activeBytes: () => backend.read(s.active, 0, backend.size(s.active)),
    bootloaderRollback: () => doRollback('ZEN_FW_BOOT_FAILED'),
  };
};
