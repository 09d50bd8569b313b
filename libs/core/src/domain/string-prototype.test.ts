import { execFileSync } from 'node:child_process';
import { restoreFastStringPrototype } from './string-prototype';

// V8's %HasFastProperties needs --allow-natives-syntax, so the check runs in a child Node with
// the function's own compiled source.
const fastAfter = (setup: string): boolean =>
  execFileSync(process.execPath, ['--allow-natives-syntax', '-e', `${setup}; console.log(%HasFastProperties(String.prototype))`], {
    encoding: 'utf8',
  }).trim() === 'true';

describe('restoreFastStringPrototype', () => {
  const subclass = 'class VerbatimString extends String {}';

  it('is needed: subclassing String leaves String.prototype in dictionary mode', () => {
    expect(fastAfter('')).toBe(true);
    expect(fastAfter(subclass)).toBe(false);
  });

  it('makes String.prototype fast again, and calling it twice is harmless', () => {
    const fn = `(${restoreFastStringPrototype.toString()})`;
    expect(fastAfter(`${subclass}; ${fn}()`)).toBe(true);
    expect(fastAfter(`${subclass}; ${fn}(); ${fn}()`)).toBe(true);
  });

  it('runs here without throwing', () => {
    expect(() => restoreFastStringPrototype()).not.toThrow();
  });
});
