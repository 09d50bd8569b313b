import { commitPositions, createPendingPositions, offsetAbove } from './offsets';

describe('commitPositions', () => {
  it('commits the offset after the highest record of each partition', () => {
    const positions = commitPositions([
      { topic: 't', partition: 0, offset: '9' },
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 1, offset: '3' },
      { topic: 'u', partition: 0, offset: '9007199254740993' },
      { topic: 't', partition: 0, offset: '2' },
    ]);
    expect(positions).toEqual([
      { topic: 't', partition: 0, offset: '11' },
      { topic: 't', partition: 1, offset: '4' },
      { topic: 'u', partition: 0, offset: '9007199254740994' },
    ]);
  });

  it('commits nothing for no records', () => {
    expect(commitPositions([])).toEqual([]);
  });
});

describe('createPendingPositions', () => {
  it('keeps the highest position of each partition, whatever the order they come in', () => {
    const pending = createPendingPositions();
    pending.add([
      { topic: 't', partition: 0, offset: '11' },
      { topic: 't', partition: 1, offset: '4' },
    ]);
    pending.add([
      { topic: 't', partition: 0, offset: '7' },
      { topic: 't', partition: 1, offset: '9007199254740994' },
      { topic: 'u', partition: 0, offset: '1' },
    ]);
    expect(pending.size).toBe(3);
    expect(pending.take()).toEqual([
      { topic: 't', partition: 0, offset: '11' },
      { topic: 't', partition: 1, offset: '9007199254740994' },
      { topic: 'u', partition: 0, offset: '1' },
    ]);
  });

  it('forgets what it handed over', () => {
    const pending = createPendingPositions();
    pending.add([{ topic: 't', partition: 0, offset: '5' }]);
    pending.take();
    expect(pending.size).toBe(0);
    expect(pending.take()).toEqual([]);
    pending.add([{ topic: 't', partition: 0, offset: '3' }]);
    expect(pending.take()).toEqual([{ topic: 't', partition: 0, offset: '3' }]);
  });
});

describe('offsetAbove', () => {
  it.each([
    ['10', '9', true],
    ['9', '10', false],
    ['11', '11', false],
    ['12', '11', true],
    ['9007199254740993', '9007199254740992', true],
    ['0', '1', false],
  ])('%s > %s is %s', (a, b, above) => {
    expect(offsetAbove(a, b)).toBe(above);
  });
});
