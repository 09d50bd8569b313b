// One contract, every implementation of the SlotStore port that keeps bytes on the host.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemorySlotStore } from '../adapters/memory-slot-store';
import type { TwoSlotSettings, TwoSlotStore } from '../adapters/two-slot-store';
import { isFirmwareError } from '../errors';
import { createFileSlotStore } from './file-slot-store';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'zenthos-slots-'));
  dirs.push(d);
  return d;
};

const implementations: [string, (settings: TwoSlotSettings) => TwoSlotStore][] = [
  ['memory', (settings) => createMemorySlotStore(settings)],
  ['file', (settings) => createFileSlotStore(tempDir(), settings)],
];

const tag = (version: string, size: number) => ({ version, sha256: `${version}-sha`, size });
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i + seed) & 0xff);
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isFirmwareError(err) ? err.code : 'not a FirmwareError';
  }
  return undefined;
};

describe.each(implementations)('%s slot store', (_name, create) => {
  it('starts confirmed on the initial version, with nothing to report', () => {
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0' });
    expect(s.bootInfo()).toEqual({ version: 'v1.0.0', state: 'confirmed' });
  });

  it('resumes a partial write of the same image and restarts for a different one', () => {
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0' });
    expect(s.beginWrite(tag('v1.1.0', 10))).toEqual({ writtenBytes: 0 });
    s.write(bytes(4, 1));
    expect(s.beginWrite(tag('v1.1.0', 10))).toEqual({ writtenBytes: 4 });
    expect(Array.from(s.read(1, 2) as Uint8Array)).toEqual([2, 3]);
    expect(s.beginWrite(tag('v1.2.0', 10))).toEqual({ writtenBytes: 0 });
    expect(s.inactiveBytes()).toHaveLength(0);
  });

  it('refuses writes past the image size and pending for an incomplete image', () => {
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0' });
    s.beginWrite(tag('v1.1.0', 4));
    expect(codeOf(() => s.write(bytes(5, 0)))).toBe('ZEN_FW_FLASH_FAILED');
    s.write(bytes(3, 0));
    expect(codeOf(() => s.setPending(tag('v1.1.0', 4)))).toBe('ZEN_FW_FLASH_FAILED');
    expect(codeOf(() => s.activate())).toBe('ZEN_FW_FLASH_FAILED');
  });

  it('activates a complete image pending, then confirms it', () => {
    const reboots: string[] = [];
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0', onReboot: (r) => reboots.push(r) });
    s.beginWrite(tag('v1.1.0', 6));
    s.write(bytes(6, 9));
    s.setPending(tag('v1.1.0', 6));
    s.activate();
    expect(reboots).toEqual(['activate']);
    expect(s.bootInfo()).toEqual({ version: 'v1.1.0', state: 'pending' });
    expect(Array.from(s.activeBytes())).toEqual(Array.from(bytes(6, 9)));
    s.confirm();
    expect(s.bootInfo()).toEqual({ version: 'v1.1.0', state: 'confirmed' });
    s.rollback('late');
    expect(s.bootInfo()).toEqual({ version: 'v1.1.0', state: 'confirmed' });
  });

  it('rolls a pending image back to the previous slot and keeps the reason until cleared', () => {
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0' });
    s.beginWrite(tag('v1.1.0', 2));
    s.write(bytes(2, 0));
    s.setPending(tag('v1.1.0', 2));
    s.activate();
    s.rollback('ZEN_FW_SELF_TEST_FAILED');
    expect(s.bootInfo()).toEqual({
      version: 'v1.0.0',
      state: 'confirmed',
      rolledBack: { version: 'v1.1.0', reason: 'ZEN_FW_SELF_TEST_FAILED' },
    });
    s.clearRollbackNotice();
    expect(s.bootInfo()).toEqual({ version: 'v1.0.0', state: 'confirmed' });
  });

  it('refuses to touch the other slot while the active image is pending (it is the way back)', () => {
    const s = create({ capacityBytes: 100, initialVersion: 'v1.0.0' });
    s.beginWrite(tag('v1.1.0', 2));
    s.write(bytes(2, 0));
    s.setPending(tag('v1.1.0', 2));
    s.activate();
    expect(codeOf(() => s.beginWrite(tag('v1.2.0', 2)))).toBe('ZEN_FW_BUSY');
    expect(codeOf(() => s.discard())).toBe('ZEN_FW_BUSY');
    s.rollback('ZEN_FW_SELF_TEST_FAILED');
    expect(s.beginWrite(tag('v1.2.0', 2))).toEqual({ writtenBytes: 0 });
  });

  it('discards a partial image', () => {
    const s = create({ capacityBytes: 100 });
    s.beginWrite(tag('m-20261130-abcdef', 8));
    s.write(bytes(5, 0));
    s.discard();
    expect(s.inactiveBytes()).toHaveLength(0);
    expect(s.beginWrite(tag('m-20261130-abcdef', 8))).toEqual({ writtenBytes: 0 });
    expect(s.bootInfo()).toEqual({ version: undefined, state: 'confirmed' });
  });
});

describe('file slot store across a restart of the simulator', () => {
  it('keeps the pending image, the boot state, the rollback notice and a partial download', () => {
    const dir = tempDir();
    const first = createFileSlotStore(dir, { capacityBytes: 100, initialVersion: 'v1.0.0' });
    first.beginWrite(tag('v1.1.0', 3));
    first.write(bytes(3, 4));
    first.setPending(tag('v1.1.0', 3));
    first.activate();

    const second = createFileSlotStore(dir, { capacityBytes: 100, initialVersion: 'ignored' });
    expect(second.bootInfo()).toEqual({ version: 'v1.1.0', state: 'pending' });
    second.bootloaderRollback();

    const third = createFileSlotStore(dir, { capacityBytes: 100 });
    expect(third.bootInfo()).toEqual({
      version: 'v1.0.0',
      state: 'confirmed',
      rolledBack: { version: 'v1.1.0', reason: 'ZEN_FW_BOOT_FAILED' },
    });
    third.clearRollbackNotice();
    third.beginWrite(tag('v1.2.0', 10));
    third.write(bytes(7, 0));

    const fourth = createFileSlotStore(dir, { capacityBytes: 100 });
    expect(fourth.bootInfo()).toEqual({ version: 'v1.0.0', state: 'confirmed' });
    expect(fourth.beginWrite(tag('v1.2.0', 10))).toEqual({ writtenBytes: 7 });
  });
});
