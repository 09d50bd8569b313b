/**
 * Ed25519 signature verification (RFC 8032 §5.1.7) in plain TypeScript with BigInt, because the
 * Moddable SDK has no ed25519 verifier. Cofactorless check `[S]B = R + [k]A`, like OpenSSL and
 * Node; non-canonical encodings (y ≥ p, S ≥ L) are rejected. It verifies public data only, so it
 * needs no constant-time care. `hash512` is injectable so the ESP32 can use its native SHA-512.
 */
import { sha512 as softwareSha512 } from './sha2';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m: bigint = P): bigint => {
  const r = a % m;
  return r >= 0n ? r : r + m;
};

const pow = (base: bigint, exp: bigint): bigint => {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
};

const inv = (a: bigint): bigint => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const D2 = mod(2n * D);
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** Extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z. */
type Point = readonly [bigint, bigint, bigint, bigint];

const BASE: Point = (() => {
  const x = 15112221349535400772501151409588531511454012693041857206046113283949847762202n;
  const y = 46316835694926478169428394003475163141307993866256225615783033603165251855960n;
  return [x, y, 1n, mod(x * y)];
})();
const ZERO: Point = [0n, 1n, 1n, 0n];

// add-2008-hwcd-3 (a = -1); unified, so it doubles too.
const add = (p: Point, q: Point): Point => {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(p[3] * D2 * q[3]);
  const d = mod(p[2] * 2n * q[2]);
  const e = b - a;
  const f = d - c;
  const g = d + c;
  const h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
};

const multiply = (p: Point, scalar: bigint): Point => {
  let result = ZERO;
  let addend = p;
  let k = scalar;
  while (k > 0n) {
    if (k & 1n) result = add(result, addend);
    addend = add(addend, addend);
    k >>= 1n;
  }
  return result;
};

const equal = (p: Point, q: Point): boolean => mod(p[0] * q[2]) === mod(q[0] * p[2]) && mod(p[1] * q[2]) === mod(q[1] * p[2]);

const littleEndian = (bytes: Uint8Array): bigint => {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  return v;
};

// RFC 8032 §5.1.3 point decoding.
const decodePoint = (bytes: Uint8Array): Point | undefined => {
  if (bytes.length !== 32) return undefined;
  const copy = bytes.slice();
  const sign = copy[31]! >> 7;
  copy[31] = copy[31]! & 0x7f;
  const y = littleEndian(copy);
  if (y >= P) return undefined;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  const vx2 = mod(v * x * x);
  if (vx2 === mod(-u)) x = mod(x * SQRT_M1);
  else if (vx2 !== u) return undefined;
  if (x === 0n && sign === 1) return undefined;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
};

/** True when `signature` is a valid Ed25519 signature of `message` under the raw 32-byte `publicKey`. */
export const ed25519Verify = (
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
  hash512: (data: Uint8Array) => Uint8Array = softwareSha512,
): boolean => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const a = decodePoint(publicKey);
  const r = decodePoint(signature.subarray(0, 32));
  if (!a || !r) return false;
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false;
  const input = new Uint8Array(64 + message.length);
  input.set(signature.subarray(0, 32), 0);
  input.set(publicKey, 32);
  input.set(message, 64);
  const k = mod(littleEndian(hash512(input)), L);
  return equal(multiply(BASE, s), add(r, multiply(a, k)));
};
