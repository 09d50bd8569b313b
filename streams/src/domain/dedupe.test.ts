import { createDedupe, SOURCE_POSITION_HEADER } from './dedupe';
import { createMemoryDedupeStore } from '../adapters/memory-dedupe-store';
import { telemetryRecord } from './test-records';

const A = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
const B = '6fa459ea-ee8a-4ca4-894e-db77e160355e';
const at = (messageId: string, position: string) => ({
  ...telemetryRecord({ message_id: messageId }),
  headers: { [SOURCE_POSITION_HEADER]: position },
});

describe('dedupe', () => {
  // Each row is a sequence of records (message id, source position) and whether each is forwarded.
  it.each([
    [
      'distinct ids all pass',
      [
        [A, 't/0/1', true],
        [B, 't/0/2', true],
      ],
    ],
    [
      'a second record with the same id is dropped',
      [
        [A, 't/0/1', true],
        [A, 't/0/2', false],
      ],
    ],
    [
      'a duplicate on another partition is dropped',
      [
        [A, 't/0/1', true],
        [A, 't/1/7', false],
      ],
    ],
    // The process died after marking but before its transaction committed: the same source
    // record comes again and must not disappear.
    [
      'the same source record read again after a crash passes again',
      [
        [A, 't/0/1', true],
        [A, 't/0/1', true],
        [A, 't/0/2', false],
      ],
    ],
  ] as const)('%s', async (_name, rows) => {
    const dedupe = createDedupe({ windowMs: 60_000 }, { store: createMemoryDedupeStore() });
    for (const [id, position, forwarded] of rows) {
      const outcome = await dedupe(at(id, position));
      expect([id, position, outcome.kind]).toEqual([id, position, forwarded ? 'forward' : 'drop']);
    }
  });

  it('forgets an id after the window', async () => {
    let now = 0;
    const dedupe = createDedupe({ windowMs: 1_000 }, { store: createMemoryDedupeStore({ nowMs: () => now }) });
    expect((await dedupe(at(A, 't/0/1'))).kind).toBe('forward');
    now = 999;
    expect((await dedupe(at(A, 't/0/2'))).kind).toBe('drop');
    now = 1_001;
    expect((await dedupe(at(A, 't/0/3'))).kind).toBe('forward');
  });
});
