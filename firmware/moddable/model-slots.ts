import Flash from 'flash';
import Preference from 'preference';
import { FirmwareError } from 'zenthos/errors';
import type { BootInfo, ImageTag, SlotStore } from 'zenthos/domain/ports';

const domain = 'zen-model';

const pref = (key: string): string | number | undefined => {
  const v = Preference.get(domain, key);
  return typeof v === 'string' || typeof v === 'number' ? v : undefined;
};

/** The model store plus a way to read the active model for the inference engine. */
export interface ModelSlots extends SlotStore {
  /** Bytes of the active model, `undefined` before the first install. */
  readActive(): Uint8Array | undefined;
}

/**
 * ML model SlotStore over two data partitions of partitions.csv (`model0`, `model1`, both
 * `data, 0x40`). NVS (`preference`) records which slot is active, its version and size, whether
 * it is still pending, and the previous slot to return to, so a reboot during a model self-test
 * keeps the state machine consistent. Bytes are written as they arrive, erasing each flash
 * block just before its first write.
 */
export const createModelSlots = (partitions: readonly [string, string] = ['model0', 'model1']): ModelSlots => {
  const flash = [new Flash(partitions[0]), new Flash(partitions[1])] as const;
  const activeIndex = (): number => (pref('active') === 1 ? 1 : 0);
  let session: { tag: ImageTag; written: number; erasedBlocks: number } | undefined;
  let rolledBack: BootInfo['rolledBack'];

  const inactive = (): Flash => flash[1 - activeIndex()]!;
  const sameTag = (a: ImageTag | undefined, b: ImageTag): boolean =>
    a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.size === b.size;

  return {
    capacityBytes: () => inactive().byteLength,
    bootInfo: () => {
      const version = pref('version');
      return {
        version: typeof version === 'string' ? version : undefined,
        state: pref('pending') === 1 ? 'pending' : 'confirmed',
        ...(rolledBack ? { rolledBack } : {}),
      };
    },
    beginWrite(tag) {
      if (session && sameTag(session.tag, tag)) return { writtenBytes: session.written };
      session = { tag, written: 0, erasedBlocks: 0 };
      return { writtenBytes: 0 };
    },
    write(chunk) {
      if (!session) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'write before beginWrite');
      const target = inactive();
      const end = session.written + chunk.length;
      if (end > target.byteLength) throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'model larger than its partition');
      while (session.erasedBlocks * target.blockSize < end) target.erase(session.erasedBlocks++);
      target.write(session.written, chunk.length, chunk.slice().buffer as ArrayBuffer);
      session.written = end;
    },
    read(offset, byteLength) {
      return new Uint8Array(inactive().read(offset, byteLength));
    },
    discard() {
      session = undefined;
    },
    setPending(tag) {
      if (!session || !sameTag(session.tag, tag) || session.written !== tag.size) {
        throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'model slot does not hold this complete image');
      }
      session = undefined;
      Preference.set(domain, 'next-version', tag.version);
      Preference.set(domain, 'next-size', tag.size);
    },
    activate() {
      const next = pref('next-version');
      if (typeof next !== 'string') throw new FirmwareError('ZEN_FW_FLASH_FAILED', 'no pending model');
      const previous = pref('version');
      Preference.set(domain, 'prev-version', typeof previous === 'string' ? previous : '');
      Preference.set(domain, 'prev-size', Number(pref('size') ?? 0));
      Preference.set(domain, 'active', 1 - activeIndex());
      Preference.set(domain, 'version', next);
      Preference.set(domain, 'size', Number(pref('next-size') ?? 0));
      Preference.set(domain, 'pending', 1);
      Preference.delete(domain, 'next-version');
      Preference.delete(domain, 'next-size');
    },
    confirm() {
      Preference.set(domain, 'pending', 0);
    },
    rollback(reason) {
      if (pref('pending') !== 1) return;
      const failed = pref('version');
      const previous = pref('prev-version');
      Preference.set(domain, 'active', 1 - activeIndex());
      if (typeof previous === 'string' && previous !== '') {
        Preference.set(domain, 'version', previous);
        Preference.set(domain, 'size', Number(pref('prev-size') ?? 0));
      } else {
        Preference.delete(domain, 'version');
        Preference.delete(domain, 'size');
      }
      Preference.set(domain, 'pending', 0);
      rolledBack = { version: typeof failed === 'string' ? failed : 'unknown', reason };
    },
    clearRollbackNotice() {
      rolledBack = undefined;
    },
    readActive() {
      const size = pref('size');
      if (typeof pref('version') !== 'string' || typeof size !== 'number' || size <= 0) return undefined;
      return new Uint8Array(flash[activeIndex()]!.read(0, size));
    },
  };
};
