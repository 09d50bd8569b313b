import { base64Decode, base64Encode, concatBytes, hexEncode, utf8Decode, utf8Encode } from './bytes';

describe('bytes helpers agree with Node Buffer', () => {
  it.each(['', 'a', 'hello world', 'ü€𝄞', 'lone \ud800 surrogate', '{"json":[1,2,3]}'])('utf8 round trip of %p', (text) => {
    const bytes = utf8Encode(text);
    expect(Buffer.from(bytes).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(utf8Decode(bytes)).toBe(Buffer.from(text, 'utf8').toString('utf8'));
  });

  it.each([0, 1, 2, 3, 4, 31, 32, 33, 64])('base64 of %i bytes', (n) => {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 0xff);
    const text = base64Encode(bytes);
    expect(text).toBe(Buffer.from(bytes).toString('base64'));
    expect(Array.from(base64Decode(text)!)).toEqual(Array.from(bytes));
    expect(Array.from(base64Decode(Buffer.from(bytes).toString('base64url'))!)).toEqual(Array.from(bytes));
  });

  it.each(['a', 'ab$c', 'abcde'])('base64Decode refuses %p', (text) => {
    expect(base64Decode(text)).toBeUndefined();
  });

  it('hex and concat', () => {
    expect(hexEncode(concatBytes([Uint8Array.of(0, 15), Uint8Array.of(255)]))).toBe('000fff');
  });
});
