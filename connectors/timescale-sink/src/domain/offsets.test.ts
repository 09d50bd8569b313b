import { commitPositions } from './offsets';

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
