import { githubSignature, verifyGithubSignature } from './webhook-signature';

// GitHub's documented test vector ("Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = Buffer.from('Hello, World!');
const EXPECTED = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('verifyGithubSignature', () => {
  it("passes GitHub's documented test vector", () => {
    expect(githubSignature(SECRET, PAYLOAD)).toBe(EXPECTED);
    expect(verifyGithubSignature(SECRET, PAYLOAD, EXPECTED)).toBe(true);
  });

  const flipped = EXPECTED.slice(0, -1) + (EXPECTED.endsWith('7') ? '6' : '7');
  it.each([
    ['a flipped bit in the digest', PAYLOAD, flipped],
    ['a flipped bit in the body', Buffer.from('Hello, World"'), EXPECTED],
    ['a missing header', PAYLOAD, undefined],
    ['an empty header', PAYLOAD, ''],
    ['a sha1 header', PAYLOAD, 'sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59'],
    ['a short digest', PAYLOAD, EXPECTED.slice(0, -2)],
    ['a long digest', PAYLOAD, `${EXPECTED}00`],
    ['upper-case hex', PAYLOAD, `sha256=${EXPECTED.slice(7).toUpperCase()}`],
    ['no prefix', PAYLOAD, EXPECTED.slice(7)],
  ])('refuses %s', (_why, body, header) => {
    expect(verifyGithubSignature(SECRET, body, header)).toBe(false);
  });

  it('refuses the right digest under another secret', () => {
    expect(verifyGithubSignature('other', PAYLOAD, EXPECTED)).toBe(false);
  });
});
