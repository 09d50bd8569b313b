import { ZenthosError, isZenthosError, toZenthosError } from '@zenthos/core';
import type { CommitPosition, IncomingRecord, OutgoingRecord } from '@zenthos/kafka';
import { nextPosition } from '@zenthos/kafka';
import { SOURCE_POSITION_HEADER } from './dedupe';
import { toDeadLetter } from './dead-letter';
import {
  runPipeline,
  type Clock,
  type NamedProcessor,
  type PipelineOutcome,
  type StepHook,
  type StepObserver,
  type StreamRecord,
} from './record';

/** Turns bytes into values and back (the Avro serde with the registry, in production). */
export interface RecordCodec {
  /** Decodes a source record's value; coded errors, retriable when the registry is down. */
  decode(bytes: Buffer): Promise<unknown>;
  /** Encodes an output value for a topic. */
  encode(topic: string, value: unknown): Promise<Buffer>;
}

/** Tracing around records and their processor steps. */
export interface RecordTracer {
  /** Runs `fn` for a record inside a span continuing the trace of its headers; returns the output headers. */
  record<T>(record: IncomingRecord, fn: () => Promise<T>): Promise<{ result: T; headers: Record<string, string | Buffer> }>;
  /** Runs one processor step inside a child span. */
  step: StepHook;
}

/** A tracer that only copies the headers. */
export const noTracer: RecordTracer = {
  record: async (record, fn) => ({ result: await fn(), headers: { ...record.headers } }),
  step: (_name, fn) => fn(),
};

/** Outcomes of one processor step over a batch. */
export interface StepCounts {
  forward: number;
  drop: number;
  dead_letter: number;
}

/** Settings of {@link createBatchHandler}. */
export interface BatchSettings {
  readonly pipeline: string;
  readonly steps: readonly NamedProcessor[];
  readonly sinkTopics: readonly string[];
  readonly dlqTopic: string;
}

/** What a batch produced, per processor counts included. */
export interface BatchResult {
  readonly outputs: OutgoingRecord[];
  /** Positions to commit: last offset + 1 per partition. */
  readonly positions: CommitPosition[];
  /** First offset per partition: where to go back to when the transaction fails. */
  readonly rewindTo: CommitPosition[];
  readonly forwarded: number;
  readonly dropped: number;
  /** Dead letters by processor name. */
  readonly deadLettered: Readonly<Record<string, number>>;
  /** Dead letters by reason code. */
  readonly deadLetterReasons: Readonly<Record<string, number>>;
  /** What each processor step did with the records that reached it. */
  readonly steps: Readonly<Record<string, StepCounts>>;
}

/** The source position header value, `topic/partition/offset`: the owner of a dedupe mark. */
export const sourcePosition = (r: Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${r.topic}/${r.partition}/${r.offset}`;

/**
 * Handles one poll batch: decode, run the processors, encode the outputs, build dead letters.
 * Records of the batch are processed concurrently (they are independent; ports batch their
 * I/O), and outputs keep the input order, so per-partition order holds. A retriable failure
 * anywhere fails the whole batch, which the runner retries as a unit: nothing is skipped.
 */
export function createBatchHandler(
  settings: BatchSettings,
  ports: {
    codec: RecordCodec;
    clock: Clock;
    tracer?: RecordTracer;
    /**
     * Told, once per batch and processor step, the mean time the step took per record that
     * reached it (milliseconds). Once per batch, not per record: a histogram observation hashes
     * its attributes every time, and the records of a batch go through their steps concurrently,
     * waiting on the same batched I/O, so their individual times hardly differ.
     */
    observeStep?: (processor: string, ms: number) => void;
  },
) {
  const tracer = ports.tracer ?? noTracer;
  const step: StepHook = tracer.step.bind(tracer);
  // Step times of the batch in hand, per step: [total ms, records].
  const stepTimes = new Map<string, [number, number]>();
  const observe: StepObserver | undefined =
    ports.observeStep &&
    ((name, ms) => {
      const t = stepTimes.get(name);
      if (t === undefined) stepTimes.set(name, [ms, 1]);
      else {
        t[0] += ms;
        t[1]++;
      }
    });
  const reportStepTimes = (): void => {
    for (const [name, [ms, n]] of stepTimes) ports.observeStep?.(name, ms / n);
    stepTimes.clear();
  };

  const processOne = async (r: IncomingRecord): Promise<PipelineOutcome> => {
    let value: unknown;
    try {
      if (r.value === null) throw new ZenthosError('ZEN_DECODE_FAILED', 'record has no value (tombstone)');
      value = await ports.codec.decode(r.value);
    } catch (err) {
      if (isZenthosError(err) && err.retriable) throw err;
      return { kind: 'deadLetter', error: toZenthosError(err, 'ZEN_DECODE_FAILED'), processor: 'decode', forwardedBy: [] };
    }
    const record: StreamRecord<unknown> = {
      key: r.key?.toString() ?? '',
      value,
      timestampMs: r.timestampMs,
      headers: { ...r.headers, [SOURCE_POSITION_HEADER]: sourcePosition(r) },
    };
    return runPipeline(settings.steps, record, step, observe);
  };
  // The tracer's promise is the record's: no async wrapper of its own per record.
  const handleOne = (r: IncomingRecord): Promise<{ result: PipelineOutcome; headers: Record<string, string | Buffer> }> =>
    tracer.record(r, () => processOne(r));

  return async function handleBatch(records: readonly IncomingRecord[]): Promise<BatchResult> {
    stepTimes.clear();
    let results: Array<{ result: PipelineOutcome; headers: Record<string, string | Buffer> }>;
    try {
      results = await Promise.all(records.map(handleOne));
    } finally {
      reportStepTimes();
    }
    const outputs: OutgoingRecord[] = [];
    let forwarded = 0;
    let dropped = 0;
    const deadLettered: Record<string, number> = {};
    const deadLetterReasons: Record<string, number> = {};
    const steps: Record<string, StepCounts> = {};
    const count = (processor: string, outcome: keyof StepCounts): void => {
      const c = (steps[processor] ??= { forward: 0, drop: 0, dead_letter: 0 });
      c[outcome]++;
    };
    const deadLetter = (r: IncomingRecord, error: ZenthosError, processor: string): void => {
      deadLettered[processor] = (deadLettered[processor] ?? 0) + 1;
      deadLetterReasons[error.code] = (deadLetterReasons[error.code] ?? 0) + 1;
      outputs.push(toDeadLetter(r, settings.dlqTopic, { error, processor, pipeline: settings.pipeline, nowMs: ports.clock.nowMs() }));
    };
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as IncomingRecord;
      const { result: outcome, headers } = results[i] as { result: PipelineOutcome; headers: Record<string, string | Buffer> };
      for (const name of outcome.forwardedBy) count(name, 'forward');
      if (outcome.kind !== 'forward') count(outcome.processor, outcome.kind === 'drop' ? 'drop' : 'dead_letter');
      if (outcome.kind === 'drop') {
        dropped++;
      } else if (outcome.kind === 'deadLetter') {
        deadLetter(r, outcome.error, outcome.processor);
      } else {
        // The tracer's headers are a fresh copy of the source record's (the source position
        // header lives only on the StreamRecord), so they go out as they are.
        const outHeaders = headers;
        try {
          for (const topic of settings.sinkTopics) {
            const value = await ports.codec.encode(topic, outcome.record.value);
            outputs.push({ topic, key: r.key, value, headers: outHeaders, timestampMs: r.timestampMs });
          }
          forwarded++;
        } catch (err) {
          if (isZenthosError(err) && err.retriable) throw err;
          deadLetter(r, toZenthosError(err, 'ZEN_PAYLOAD_INVALID'), 'encode');
        }
      }
    }
    const first = new Map<string, CommitPosition>();
    const last = new Map<string, IncomingRecord>();
    for (const r of records) {
      const key = `${r.topic}\u0000${r.partition}`;
      if (!first.has(key)) first.set(key, { topic: r.topic, partition: r.partition, offset: r.offset });
      last.set(key, r);
    }
    return {
      outputs,
      // 64-bit offset + 1 (BigInt) once per partition, not once per record.
      positions: [...last.values()].map(nextPosition),
      rewindTo: [...first.values()],
      forwarded,
      dropped,
      deadLettered,
      deadLetterReasons,
      steps,
    };
  };
}
