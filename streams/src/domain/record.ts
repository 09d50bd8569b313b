import { ZenthosError, toZenthosError } from '@zenthos/core';

/** Record headers as they travel in Kafka (strings are UTF-8 on the wire). */
export type Headers = Readonly<Record<string, string | Buffer>>;

/** A decoded record flowing through the processors (Kafka Streams' Record, without Kafka). */
export interface StreamRecord<T> {
  /** The record key: the device id (DESIGN.md, Kafka). */
  readonly key: string;
  readonly value: T;
  readonly timestampMs: number;
  readonly headers: Headers;
}

/**
 * What a processor decided about one record: pass it on, drop it on purpose (a duplicate), or
 * send the original bytes to the dead-letter topic with a coded error.
 */
export type Outcome<T> =
  { kind: 'forward'; record: StreamRecord<T> } | { kind: 'drop'; reason: string } | { kind: 'deadLetter'; error: ZenthosError };

/**
 * A processor: a function over one record. Retriable failures (a database or registry that is
 * down) are thrown as retriable ZenthosErrors for the runner to retry; anything that can never
 * succeed is returned as `deadLetter`.
 */
export type Processor<I, O> = (record: StreamRecord<I>) => Promise<Outcome<O>>;

/** A clock port, so processors never read the wall clock themselves. */
export interface Clock {
  nowMs(): number;
}

/** The machine clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** Forward `record` with a new value, keeping key, timestamp and headers. */
export const forward = <I, O>(record: StreamRecord<I>, value: O): Outcome<O> => ({ kind: 'forward', record: { ...record, value } });

/** A named processor step of a pipeline, for metrics and dead-letter headers. */
export interface NamedProcessor {
  readonly name: string;
  readonly process: Processor<unknown, unknown>;
}

/** The result of a whole pipeline for one record: the step that decided, and the steps that forwarded it. */
export type PipelineOutcome = Outcome<unknown> & { readonly processor: string; readonly forwardedBy: readonly string[] };

/** Wraps each step (spans, timings). */
export type StepHook = <T>(step: string, fn: () => Promise<T>) => Promise<T>;

/** Told how long a step took for one record (milliseconds), whatever its outcome. */
export type StepObserver = (step: string, ms: number) => void;

const direct: StepHook = (_step, fn) => fn();

/**
 * Runs `record` through `steps` in order; the first step that does not forward decides.
 * Why sequential per record: each step's input is the previous step's output (validate →
 * enrich → dedupe), and dedupe must come last so that only records that reach the output are
 * marked as seen. `observe` is told each step's time per record.
 */
export async function runPipeline(
  steps: readonly NamedProcessor[],
  record: StreamRecord<unknown>,
  around: StepHook = direct,
  observe?: StepObserver,
): Promise<PipelineOutcome> {
  let current = record;
  const forwardedBy: string[] = [];
  for (const step of steps) {
    let outcome: Outcome<unknown>;
    // Timed here rather than in a wrapper around the step: no extra async function and
    // promise per step and record.
    const started = observe === undefined ? 0 : performance.now();
    try {
      outcome = await around(step.name, () => step.process(current));
    } catch (err) {
      observe?.(step.name, performance.now() - started);
      // Retriable failures (a dependency is down) go back to the runner, which retries the
      // batch; anything else thrown is a poison record: dead-letter it and move on.
      if (err instanceof ZenthosError && err.retriable) throw err;
      return { kind: 'deadLetter', error: toZenthosError(err), processor: step.name, forwardedBy };
    }
    observe?.(step.name, performance.now() - started);
    if (outcome.kind !== 'forward') return { ...outcome, processor: step.name, forwardedBy };
    forwardedBy.push(step.name);
    current = outcome.record;
  }
  return { kind: 'forward', record: current, processor: forwardedBy[forwardedBy.length - 1] ?? 'source', forwardedBy };
}
