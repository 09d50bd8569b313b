import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
  appendFileSync,
  existsSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  createTwoSlotStore,
  type SlotBackend,
  type TwoSlotSettings,
  type TwoSlotState,
  type TwoSlotStore,
} from '../adapters/two-slot-store';

/**
 * A two-slot store in a directory — `slot-0.bin`, `slot-1.bin` and `state.json` — so a simulated
 * device keeps its firmware, pending state and partial downloads across a simulated reboot or a
 * restart of the simulator, like flash does. The state file is replaced atomically (write, then
 * rename); slot lengths are the file sizes, so appending a chunk needs no state write.
 */
export const createFileSlotStore = (dir: string, settings: TwoSlotSettings): TwoSlotStore => {
  mkdirSync(dir, { recursive: true });
  const slotPath = (slot: 0 | 1): string => join(dir, `slot-${slot}.bin`);
  const statePath = join(dir, 'state.json');
  const backend: SlotBackend = {
    loadState: () => (existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as TwoSlotState) : undefined),
    saveState: (state) => {
      writeFileSync(`${statePath}.tmp`, JSON.stringify(state));
      renameSync(`${statePath}.tmp`, statePath);
    },
    size: (slot) => (existsSync(slotPath(slot)) ? statSync(slotPath(slot)).size : 0),
    truncate: (slot) => writeFileSync(slotPath(slot), new Uint8Array(0)),
    append: (slot, chunk) => appendFileSync(slotPath(slot), chunk),
    read: (slot, offset, byteLength) => {
      const out = new Uint8Array(Math.max(0, byteLength));
      if (out.length === 0) return out;
      const fd = openSync(slotPath(slot), 'r');
      try {
        const n = readSync(fd, out, 0, out.length, offset);
        return out.subarray(0, n);
      } finally {
        closeSync(fd);
      }
    },
  };
  return createTwoSlotStore(backend, settings);
};
