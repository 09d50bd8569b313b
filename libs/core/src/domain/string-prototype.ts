/**
 * Puts `String.prototype` back into V8's fast-properties mode. Defining a subclass of `String`
 * (ioredis 6 does, for RESP3: `class VerbatimString extends String`) leaves the prototype in
 * dictionary mode, and V8 only makes a prototype fast again from an inline cache that meets it
 * as the prototype of an object, never from method calls on string primitives. Until then each
 * `s.charCodeAt(i)` or `s.slice(…)`, even in optimised code, is a call of V8's generic LoadIC:
 * measured on Node 24.22 here, a charCodeAt loop ran 4 times slower after `require('ioredis')`,
 * and in `zenthos bench` LoadIC was 1.1-1.5 % of the machine's CPU in each of the bridge, the
 * processor and the sink (Avro string writes, ISO time and UUID parsing).
 *
 * Reading a method through an object whose prototype is `String.prototype` often enough for V8
 * to give the site its feedback (about a thousand reads) does it; ten thousand leave a margin
 * and take well under a millisecond. Idempotent: call it after loading a module that subclasses
 * `String` (each module of Zenthos that imports ioredis does).
 */
export function restoreFastStringPrototype(): void {
  const probe = Object.create(String.prototype) as { charCodeAt?: unknown };
  let found = 0;
  for (let i = 0; i < 10_000; i++) if (probe.charCodeAt !== undefined) found++;
  if (found === 0) throw new Error('String.prototype.charCodeAt is missing');
}
