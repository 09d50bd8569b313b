import { checkContractHistory } from './contract-check';

const v = (fields: object[]): string => JSON.stringify({ type: 'record', name: 'T', fields });

describe('checkContractHistory', () => {
  const v1 = v([{ name: 'a', type: 'int' }]);
  const v2 = v([
    { name: 'a', type: 'int' },
    { name: 'b', type: 'string', default: '' },
  ]);
  const broken = v([{ name: 'a', type: 'string' }]);

  it('passes a compatible change and a first version', () => {
    expect(checkContractHistory('BACKWARD', v2, [{ label: 'git abc', text: v1 }])).toEqual([]);
    expect(checkContractHistory('FULL_TRANSITIVE', v1, [])).toEqual([]);
  });

  it('names the earlier version, field and rule of an incompatible change', () => {
    const [message] = checkContractHistory('BACKWARD', broken, [{ label: 'git abc', text: v1 }]);
    expect(message).toContain('TYPE_MISMATCH');
    expect(message).toContain('/fields/a');
    expect(message).toContain('git abc');
  });

  it('reports an earlier version that does not parse', () => {
    expect(checkContractHistory('BACKWARD', v1, [{ label: 'git old', text: '{' }])[0]).toContain('git old');
  });
});
