import { concatBytes } from '../domain/bytes';
import { createTwoSlotStore, type SlotBackend, type TwoSlotSettings, type TwoSlotState, type TwoSlotStore } from './two-slot-store';

/** Settings of {@link createMemorySlotStore}. */
export type MemorySlotStoreSettings = TwoSlotSettings;

/** The in-memory two-slot store. */
export type MemorySlotStore = TwoSlotStore;

/**
 * A two-slot store in RAM with the ESP-IDF app rollback semantics. It has no Node dependency, so
 * tests and the simulator can use it as is.
 */
export const createMemorySlotStore = (settings: MemorySlotStoreSettings): MemorySlotStore => {
  const slots: [Uint8Array[], Uint8Array[]] = [[], []];
  const sizes: [number, number] = [0, 0];
  let saved: TwoSlotState | undefined;
  const backend: SlotBackend = {
    loadState: () => saved,
    saveState: (state) => {
      saved = state;
    },
    size: (slot) => sizes[slot],
    truncate: (slot) => {
      slots[slot] = [];
      sizes[slot] = 0;
    },
    append: (slot, chunk) => {
      slots[slot].push(chunk.slice());
      sizes[slot] += chunk.length;
    },
    read: (slot, offset, byteLength) => {
      // Flatten once so later reads are cheap; the store only reads to re-hash or inspect.
      const flat = concatBytes(slots[slot]);
      slots[slot] = [flat];
      return flat.slice(offset, offset + byteLength);
    },
  };
  return createTwoSlotStore(backend, settings);
};
