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
 * succeed is returned as `deadLetter`. A processor that needs no I/O for a record answers at
 * once (a plain Outcome): a promise per record and step is a measurable share of the
 * processor's CPU at tens of thousands of records per second.
 */
export type Processor<I, O> = (record: StreamRecord<I>) => Outcome<O> | Promise<Outcome<O>>;

/** True for a promise (or any thenable); Outcomes and decoded values never have a `then`. */
export const isPromise = <T>(v: T | Promise<T>): v is Promise<T> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

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

/** Wraps each step (a span per step); the step's answer may come at once or as a promise. */
export type StepHook = <T>(step: string, fn: () => T | Promise<T>) => T | Promise<T>;

/** Told how long a step took for one record (milliseconds), whatever its outcome. */
export type StepObserver = (step: string, ms: number) => void;

// The names of the steps before each step, built once per steps array rather than pushed into
// a fresh array per record.
const namesBefore = new WeakMap<readonly NamedProcessor[], ReadonlyArray<readonly string[]>>();
const prefixesOf = (steps: readonly NamedProcessor[]): ReadonlyArray<readonly string[]> => {
  let prefixes = namesBefore.get(steps);
  if (prefixes === undefined) {
    const names = steps.map((s) => s.name);
    prefixes = names.map((_, i) => Object.freeze(names.slice(0, i))).concat([Object.freeze(names)]);
    namesBefore.set(steps, prefixes);
  }
  return prefixes;
};

/** A step that threw: a retriable failure goes back to the runner, anything else is a poison record. */
const thrown = (err: unknown, step: string, forwardedBy: readonly string[]): PipelineOutcome => {
  // Retriable failures (a dependency is down) go back to the runner, which retries the batch;
  // anything else thrown is a poison record: dead-letter it and move on.
  if (err instanceof ZenthosError && err.retriable) throw err;
  return { kind: 'deadLetter', error: toZenthosError(err), processor: step, forwardedBy };
};

/**
 * Runs `record` through `steps` in order; the first step that does not forward decides.
 * Why sequential per record: each step's input is the previous step's output (validate →
 * enrich → dedupe), and dedupe must come last so that only records that reach the output are
 * marked as seen. `observe` is told each step's time per record. The answer comes at once while
 * every step answers at once, and as a promise from the first step that needs I/O on: records
 * that need no I/O cost no promise at all. A retriable failure is thrown (or rejected).
 */
export function runPipeline(
  steps: readonly NamedProcessor[],
  record: StreamRecord<unknown>,
  around?: StepHook,
  observe?: StepObserver,
): PipelineOutcome | Promise<PipelineOutcome> {
  return runFrom(steps, prefixesOf(steps), 0, record, around, observe);
}

function runFrom(
  steps: readonly NamedProcessor[],
  prefixes: ReadonlyArray<readonly string[]>,
  first: number,
  record: StreamRecord<unknown>,
  around: StepHook | undefined,
  observe: StepObserver | undefined,
): PipelineOutcome | Promise<PipelineOutcome> {
  let current = record;
  // Timed here rather than in a wrapper around each step: no extra function and promise per
  // step and record, and one clock reading per step (its end is the next step's start).
  let started = observe === undefined ? 0 : performance.now();
  for (let i = first; i < steps.length; i++) {
    const step = steps[i] as NamedProcessor;
    let answer: Outcome<unknown> | Promise<Outcome<unknown>>;
    try {
      answer = around === undefined ? step.process(current) : aroundStep(around, step, current);
    } catch (err) {
      observe?.(step.name, performance.now() - started);
      return thrown(err, step.name, prefixes[i] as readonly string[]);
    }
    if (isPromise(answer)) return continueAfter(answer, steps, prefixes, i, around, observe, started);
    if (observe !== undefined) {
      const now = performance.now();
      observe(step.name, now - started);
      started = now;
    }
    if (answer.kind !== 'forward') return { ...answer, processor: step.name, forwardedBy: prefixes[i] as readonly string[] };
    current = answer.record;
  }
  const forwardedBy = prefixes[steps.length] as readonly string[];
  return { kind: 'forward', record: current, processor: forwardedBy[forwardedBy.length - 1] ?? 'source', forwardedBy };
}

/** A step through the step hook (a span per step); apart from runFrom for the same reason as continueAfter. */
const aroundStep = (around: StepHook, step: NamedProcessor, record: StreamRecord<unknown>): Outcome<unknown> | Promise<Outcome<unknown>> =>
  around(step.name, () => step.process(record));

// The rest of the pipeline once step `i` answered with a promise. A function of its own: closures
// inside runFrom's loop would make V8 allocate their context on every call and iteration, the
// synchronous ones included.
function continueAfter(
  answer: Promise<Outcome<unknown>>,
  steps: readonly NamedProcessor[],
  prefixes: ReadonlyArray<readonly string[]>,
  i: number,
  around: StepHook | undefined,
  observe: StepObserver | undefined,
  started: number,
): Promise<PipelineOutcome> {
  const step = steps[i] as NamedProcessor;
  return answer.then(
    (outcome) => {
      observe?.(step.name, performance.now() - started);
      if (outcome.kind !== 'forward') return { ...outcome, processor: step.name, forwardedBy: prefixes[i] as readonly string[] };
      return runFrom(steps, prefixes, i + 1, outcome.record, around, observe);
    },
    (err: unknown) => {
      observe?.(step.name, performance.now() - started);
      return thrown(err, step.name, prefixes[i] as readonly string[]);
    },
  );
}
