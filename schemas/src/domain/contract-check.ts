import { parseSchema } from './avro';
import { checkCompatibility } from './compatibility';
import type { CompatibilityLevel } from './registry-port';

/** An earlier version a contract is checked against. */
export interface EarlierSchema {
  readonly label: string;
  readonly text: string;
}

/**
 * Checks a contract's current schema against its earlier versions (oldest first) at a level.
 * Returns messages naming the earlier version, the field and the rule; empty when compatible.
 * An earlier version that no longer parses is reported, not skipped.
 */
export function checkContractHistory(level: CompatibilityLevel, current: string, earlier: readonly EarlierSchema[]): string[] {
  const problems: string[] = [];
  const existing = earlier.flatMap((e, i) => {
    try {
      return [{ version: i + 1, label: e.label, type: parseSchema(e.text) }];
    } catch (err) {
      problems.push(`${e.label} is not a valid schema: ${(err as Error).message}`);
      return [];
    }
  });
  return [...problems, ...checkCompatibility(level, parseSchema(current), existing)];
}
