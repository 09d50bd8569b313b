import { createOfflineBuffer, type QueuedMessage } from './offline-buffer';

const msg = (seq: number): QueuedMessage => ({ seq, topic: 't', payload: new Uint8Array([seq]) });
const seqs = (items: QueuedMessage[]): number[] => items.map((m) => m.seq);

describe('createOfflineBuffer', () => {
  it.each([
    [3, 2, [0, 1], 0],
    [3, 3, [0, 1, 2], 0],
    [3, 5, [2, 3, 4], 2],
    [1, 4, [3], 3],
  ])('capacity %i after %i pushes holds %j and dropped %i (oldest first)', (capacity, pushes, held, dropped) => {
    const b = createOfflineBuffer(capacity);
    for (let i = 0; i < pushes; i++) b.push(msg(i));
    expect(seqs(b.toArray())).toEqual(held);
    expect(b.size).toBe(held.length);
    expect(b.dropped).toBe(dropped);
  });

  it('puts a failed message back in its original place', () => {
    const b = createOfflineBuffer(10);
    [1, 2, 4, 5].forEach((s) => b.push(msg(s)));
    b.requeue(msg(3));
    b.requeue(msg(0));
    expect(seqs(b.toArray())).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drops the oldest when a requeue overflows', () => {
    const b = createOfflineBuffer(2);
    b.push(msg(2));
    b.push(msg(3));
    expect(b.requeue(msg(1))?.seq).toBe(1);
    expect(seqs(b.toArray())).toEqual([2, 3]);
    expect(b.dropped).toBe(1);
  });

  it.each([0, -1, 1.5])('refuses capacity %p', (capacity) => {
    expect(() => createOfflineBuffer(capacity)).toThrow(RangeError);
  });
});
