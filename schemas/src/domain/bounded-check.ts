import { ZenthosError } from '@zenthos/core';
import type { Type } from 'avsc';

/** Limits applied to every untrusted payload before it is decoded. */
export interface DecodeLimits {
  /** Largest Avro payload accepted, in bytes. */
  readonly maxBytes: number;
  /** Most array and map items in one payload, all blocks and levels together. */
  readonly maxItems: number;
  /** Deepest nesting of records, arrays, maps and unions. */
  readonly maxDepth: number;
}

/** Defaults sized for IoT messages: Kafka's default max message is 1 MiB. */
export const defaultDecodeLimits: DecodeLimits = Object.freeze({ maxBytes: 8 * 1024 * 1024, maxItems: 1_000_000, maxDepth: 64 });

// The parts of avsc's type objects the walker reads. avsc's public typings omit them.
interface AvscType {
  readonly typeName: string;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly type: AvscType }>;
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly itemsType?: AvscType;
  readonly valuesType?: AvscType;
  readonly types?: readonly AvscType[];
  readonly underlyingType?: AvscType;
}

const minSizes = new WeakMap<AvscType, number>();

/** Fewest bytes a value of the type can take; recursion counts as 0 so the walk ends. */
function minSize(type: AvscType, seen?: Set<AvscType>): number {
  const cached = minSizes.get(type);
  if (cached !== undefined) return cached;
  // Only built on a cache miss: a Set per array or map of every message showed in allocation profiles.
  const visiting = seen ?? new Set<AvscType>();
  if (visiting.has(type)) return 0;
  visiting.add(type);
  let size: number;
  switch (type.typeName) {
    case 'null':
      size = 0;
      break;
    case 'float':
      size = 4;
      break;
    case 'double':
      size = 8;
      break;
    case 'fixed':
      size = type.size ?? 0;
      break;
    case 'record':
    case 'error':
      size = (type.fields ?? []).reduce((sum, f) => sum + minSize(f.type, visiting), 0);
      break;
    default:
      size = type.underlyingType ? minSize(type.underlyingType, visiting) : 1;
  }
  visiting.delete(type);
  if (visiting.size === 0) minSizes.set(type, size);
  return size;
}

/**
 * Walks Avro binary against the writer's schema without building values, checking every
 * length, count and index against the bytes that are actually there. Only bytes that pass
 * are handed to avsc, whose reader trusts length prefixes and block counts (it pre-allocates
 * `new Array(count)` and loops `count` times, so a 9-byte message could ask for 2^62 items).
 *
 * The walk costs at most one step per byte plus one per counted item, and items are capped
 * by `limits.maxItems`, so it finishes quickly on any input.
 */
export function checkBounded(type: Type, payload: Buffer, limits: DecodeLimits = defaultDecodeLimits): void {
  if (payload.length > limits.maxBytes) {
    throw new ZenthosError('ZEN_DECODE_LIMIT_EXCEEDED', `payload of ${payload.length} bytes exceeds the ${limits.maxBytes}-byte limit`);
  }
  const walker = new Walker(payload, limits);
  walker.value(type as unknown as AvscType, 0);
  if (walker.pos !== payload.length) {
    throw new ZenthosError('ZEN_DECODE_FAILED', `${payload.length - walker.pos} trailing bytes after the value`);
  }
}

class Walker {
  pos = 0;
  private items = 0;
  private readonly names: string[] = [];

  constructor(
    private readonly buf: Buffer,
    private readonly limits: DecodeLimits,
  ) {}

  value(type: AvscType, depth: number): void {
    // Paths are kept as a stack of names and only joined into text when an error is raised.
    if (depth > this.limits.maxDepth) {
      throw new ZenthosError('ZEN_DECODE_LIMIT_EXCEEDED', `nesting deeper than ${this.limits.maxDepth} at ${this.where()}`);
    }
    switch (type.typeName) {
      case 'null':
        return;
      case 'boolean': {
        this.need(1);
        const b = this.buf[this.pos++];
        if (b !== 0 && b !== 1) throw new ZenthosError('ZEN_DECODE_FAILED', `boolean byte ${b} at ${this.where()}`);
        return;
      }
      case 'int':
      case 'long':
        this.varLong();
        return;
      case 'float':
        this.skip(4);
        return;
      case 'double':
        this.skip(8);
        return;
      case 'bytes':
      case 'string':
        this.skip(this.length());
        return;
      case 'fixed':
        this.skip(type.size ?? 0);
        return;
      case 'enum': {
        const index = this.varLong();
        const count = type.symbols?.length ?? 0;
        if (index < 0 || index >= count)
          throw new ZenthosError('ZEN_DECODE_FAILED', `enum index ${index} out of range [0, ${count}) at ${this.where()}`);
        return;
      }
      case 'array':
        this.blocks(0, type.itemsType!, depth);
        return;
      case 'map':
        this.blocks(1, type.valuesType!, depth);
        return;
      case 'record':
      case 'error': {
        // Indexed: the walk recurses, so an iterator per record field would not be optimised away.
        const fields = type.fields ?? [];
        for (let i = 0; i < fields.length; i++) {
          const field = fields[i]!;
          this.names.push(field.name);
          this.value(field.type, depth + 1);
          this.names.pop();
        }
        return;
      }
      default:
        if (type.typeName.startsWith('union')) {
          const branches = type.types ?? [];
          const index = this.varLong();
          if (index < 0 || index >= branches.length) {
            throw new ZenthosError(
              'ZEN_DECODE_FAILED',
              `union branch index ${index} out of range [0, ${branches.length}) at ${this.where()}`,
            );
          }
          this.value(branches[index]!, depth + 1);
          return;
        }
        if (type.underlyingType) {
          this.value(type.underlyingType, depth);
          return;
        }
        throw new ZenthosError('ZEN_DECODE_FAILED', `unsupported Avro type ${type.typeName} at ${this.where()}`);
    }
  }

  /** Arrays and maps: blocks of `count` items, a negative count followed by the block's byte size, ended by 0. */
  private blocks(keyBytes: number, itemType: AvscType, depth: number): void {
    const itemMin = keyBytes + minSize(itemType);
    for (;;) {
      let count = this.varLong();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        const blockBytes = this.varLong();
        if (blockBytes < 0) throw new ZenthosError('ZEN_DECODE_FAILED', `negative block size ${blockBytes} at ${this.where()}`);
        if (blockBytes > this.remaining()) {
          throw new ZenthosError('ZEN_DECODE_TRUNCATED', `block of ${blockBytes} bytes but ${this.remaining()} left at ${this.where()}`);
        }
      }
      if (itemMin > 0 && count * itemMin > this.remaining()) {
        throw new ZenthosError(
          'ZEN_DECODE_TRUNCATED',
          `${count} items need at least ${count * itemMin} bytes but ${this.remaining()} left at ${this.where()}`,
        );
      }
      this.items += count;
      if (this.items > this.limits.maxItems) {
        throw new ZenthosError('ZEN_DECODE_LIMIT_EXCEEDED', `more than ${this.limits.maxItems} array/map items at ${this.where()}`);
      }
      for (let i = 0; i < count; i++) {
        if (keyBytes > 0) this.skip(this.length());
        this.names.push('[]');
        this.value(itemType, depth + 1);
        this.names.pop();
      }
    }
  }

  /** Where the walk is, e.g. `$.sensors[]`, for error messages. */
  private where(): string {
    return this.names.reduce((p, n) => (n === '[]' ? `${p}[]` : `${p}.${n}`), '$');
  }

  private remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n > this.remaining())
      throw new ZenthosError('ZEN_DECODE_TRUNCATED', `needs ${n} bytes but ${this.remaining()} left at ${this.where()}`);
  }

  private skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private length(): number {
    const n = this.varLong();
    if (n < 0) throw new ZenthosError('ZEN_DECODE_FAILED', `negative length ${n} at ${this.where()}`);
    if (n > this.remaining())
      throw new ZenthosError('ZEN_DECODE_TRUNCATED', `length ${n} but ${this.remaining()} bytes left at ${this.where()}`);
    return n;
  }

  /** A zig-zag varint of at most 10 bytes (64 bits), as a JS number (exact up to 2^53). */
  private varLong(): number {
    let result = 0;
    let factor = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.buf.length) throw new ZenthosError('ZEN_DECODE_TRUNCATED', `varint cut off at ${this.where()}`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * factor;
      if ((b & 0x80) === 0) return result % 2 === 1 ? -(result + 1) / 2 : result / 2;
      factor *= 128;
    }
    throw new ZenthosError('ZEN_DECODE_FAILED', `varint longer than 10 bytes at ${this.where()}`);
  }
}
