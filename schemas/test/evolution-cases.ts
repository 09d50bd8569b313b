import type { CompatibilityLevel } from '../src/domain/registry-port';

/** A record schema named io.zenthos.Reading with the given fields. */
export const record = (fields: object[], extra: object = {}): object => ({
  type: 'record',
  name: 'Reading',
  namespace: 'io.zenthos',
  fields,
  ...extra,
});
const id = { name: 'id', type: 'string' };

// The evolution cases of the issue: each is a change from `before` to `after`.
const evolutions: Record<string, { before: object; after: object }> = {
  'add a field with a default': { before: record([id]), after: record([id, { name: 'site', type: ['null', 'string'], default: null }]) },
  'add a field without a default': { before: record([id]), after: record([id, { name: 'site', type: 'string' }]) },
  'remove a field without a default': { before: record([id, { name: 'site', type: 'string' }]), after: record([id]) },
  'remove a field with a default': { before: record([id, { name: 'site', type: 'string', default: 'x' }]), after: record([id]) },
  'rename a field via alias': {
    before: record([id, { name: 'temp', type: 'double' }]),
    after: record([id, { name: 'temperature', type: 'double', aliases: ['temp'] }]),
  },
  'rename a field without alias': {
    before: record([id, { name: 'temp', type: 'double' }]),
    after: record([id, { name: 'temperature', type: 'double' }]),
  },
  'promote int to long': { before: record([id, { name: 'n', type: 'int' }]), after: record([id, { name: 'n', type: 'long' }]) },
  'add a union branch': {
    before: record([id, { name: 'v', type: ['null', 'int'] }]),
    after: record([id, { name: 'v', type: ['null', 'int', 'string'] }]),
  },
  'change a type': { before: record([id, { name: 'n', type: 'int' }]), after: record([id, { name: 'n', type: 'string' }]) },
};

// Expected outcome per level, as Confluent's registry answers it.
const expected: Record<string, Partial<Record<CompatibilityLevel, boolean>>> = {
  'add a field with a default': { BACKWARD: true, FORWARD: true, FULL: true, NONE: true },
  'add a field without a default': { BACKWARD: false, FORWARD: true, FULL: false, NONE: true },
  'remove a field without a default': { BACKWARD: true, FORWARD: false, FULL: false, NONE: true },
  'remove a field with a default': { BACKWARD: true, FORWARD: true, FULL: true, NONE: true },
  'rename a field via alias': { BACKWARD: true, FORWARD: false, FULL: false, NONE: true },
  'rename a field without alias': { BACKWARD: false, FORWARD: false, FULL: false, NONE: true },
  'promote int to long': { BACKWARD: true, FORWARD: false, FULL: false, NONE: true },
  'add a union branch': { BACKWARD: true, FORWARD: false, FULL: false, NONE: true },
  'change a type': { BACKWARD: false, FORWARD: false, FULL: false, NONE: true },
};

/** One row per (change, level): the evolution table of the issue, shared by unit and registry tests. */
export const evolutionCases = Object.entries(expected).flatMap(([name, levels]) =>
  Object.entries(levels).map(([level, compatible]) => ({
    name,
    level: level as CompatibilityLevel,
    compatible: compatible!,
    ...evolutions[name]!,
  })),
);
