import { ZenthosError, isZenthosError, toZenthosError } from '@zenthos/core';
import type { CommitPosition, IncomingRecord, OutgoingRecord } from '@zenthos/kafka';
import { nextPosition } from '@zenthos/kafka';
import { SOURCE_POSITION_HEADER } from './dedupe';
import { toDeadLetter } from './dead-letter';
import {
  isPromise,
  runPipeline,
  type Clock,
  type Headers,
  type NamedProcessor,
  type PipelineOutcome,
  type StepHook,
  type StepObserver,
  type StreamRecord,
} from './record';

/**
 * Turns bytes into values and back (the Avro serde with the registry, in production). Both
 * answer at once when they can (schemas cached) and with a promise when they must ask the
 * registry first: a promise per record is a measurable share of the processor's CPU.
 */
export interface RecordCodec {
  /** Decodes a source record's value (or a promise of it); coded errors, retriable when the registry is down. */
  decode(bytes: Buffer): unknown;
  /** Encodes an output value for a topic. */
  encode(topic: string, value: unknown): Buffer | Promise<Buffer>;
}

/** Tracing around records and their processor steps. */
export interface RecordTracer {
  /**
   * Runs `fn` for a record inside a span continuing the trace of its headers; returns the output
   * headers (the source record's own when there is nothing new to carry).
   */
  record<T>(record: IncomingRecord, fn: () => T | Promise<T>): Promise<{ result: T; headers: Headers }>;
  /** Runs one processor step inside a child span. */
  step: StepHook;
}

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
/** The headers of a record that its outputs carry on: the W3C trace context (DESIGN.md: one trace follows a message). */
export const TRACE_CONTEXT_HEADERS = ['traceparent', 'tracestate', 'baggage'] as const;

const NO_HEADERS: Readonly<Record<string, Buffer>> = Object.freeze({});

/**
 * The trace context headers of `headers`, nothing else. The raw record's other headers
 * (`message_id`, `device_id`) are in the value and the key already, and every header costs each
 * consumer of the output topic about 1.5–2 µs per record in node-rdkafka (libs/kafka README), so
 * outputs do not repeat them. Records without a trace share one empty object.
 */
export function traceContextOf<V>(headers: Readonly<Record<string, V>>): Readonly<Record<string, V>> {
  let out: Record<string, V> | undefined;
  for (let i = 0; i < TRACE_CONTEXT_HEADERS.length; i++) {
    const name = TRACE_CONTEXT_HEADERS[i] as string;
    const v = headers[name];
    if (v !== undefined) (out ??= {})[name] = v;
  }
  return out ?? (NO_HEADERS as Readonly<Record<string, V>>);
}

export const sourcePosition = (r: Pick<IncomingRecord, 'topic' | 'partition' | 'offset'>): string =>
  `${r.topic}/${r.partition}/${r.offset}`;

/**
 * Handles one poll batch: decode, run the processors, encode the outputs, build dead letters.
 * Records of the batch are processed concurrently (they are independent; ports batch their
 * I/O), and outputs keep the input order, so per-partition order holds. A retriable failure
 * anywhere fails the whole batch, which the runner retries as a unit: nothing is skipped.
 *
 * Outputs carry only the trace context headers ({@link traceContextOf}). Without a tracer (a
 * processor that exports no spans) they are the source record's own, as they are: no span of
 * this process could ever reach a trace backend, so the next hop continues the trace of the last
 * hop that exported one.
 */
export function createBatchHandler(
  settings: BatchSettings,
  ports: {
    codec: RecordCodec;
    clock: Clock;
    /** Spans per record and step; without it no spans, and trace headers pass through unchanged. */
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
  const { tracer, codec } = ports;
  const step: StepHook | undefined = tracer?.step.bind(tracer);
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

  const decodeFailed = (err: unknown): PipelineOutcome => {
    if (isZenthosError(err) && err.retriable) throw err;
    return { kind: 'deadLetter', error: toZenthosError(err, 'ZEN_DECODE_FAILED'), processor: 'decode', forwardedBy: [] };
  };
  const runSteps = (r: IncomingRecord, value: unknown): PipelineOutcome | Promise<PipelineOutcome> => {
    const headers: Record<string, string | Buffer> = {};
    for (const name in r.headers) headers[name] = r.headers[name] as Buffer;
    // Set last: a source record's own header of that name must never choose a dedupe mark's owner.
    headers[SOURCE_POSITION_HEADER] = sourcePosition(r);
    const record: StreamRecord<unknown> = { key: r.key?.toString() ?? '', value, timestampMs: r.timestampMs, headers };
    return runPipeline(settings.steps, record, step, observe);
  };
  // Answers at once unless the codec or a step needs I/O for this record.
  const processOne = (r: IncomingRecord): PipelineOutcome | Promise<PipelineOutcome> => {
    let value: unknown;
    try {
      if (r.value === null) throw new ZenthosError('ZEN_DECODE_FAILED', 'record has no value (tombstone)');
      value = codec.decode(r.value);
    } catch (err) {
      return decodeFailed(err);
    }
    return isPromise(value) ? runStepsLater(r, value) : runSteps(r, value);
  };
  // Apart from processOne: a closure there would cost a context allocation on every call.
  const runStepsLater = (r: IncomingRecord, value: Promise<unknown>): Promise<PipelineOutcome> =>
    value.then((v) => runSteps(r, v), decodeFailed);

  /** Outcomes in input order, and each record's output headers when a tracer made them. */
  const processAll = async (records: readonly IncomingRecord[]): Promise<{ outcomes: PipelineOutcome[]; headers?: Headers[] }> => {
    const outcomes = new Array<PipelineOutcome>(records.length);
    if (tracer !== undefined) {
      const traced = await Promise.all(records.map((r) => tracer.record(r, () => processOne(r))));
      const headers = new Array<Headers>(records.length);
      for (let i = 0; i < traced.length; i++) {
        const t = traced[i] as { result: PipelineOutcome; headers: Headers };
        outcomes[i] = t.result;
        headers[i] = t.headers;
      }
      return { outcomes, headers };
    }
    // Only the records that wait for I/O (the dedupe claims, a registry lookup) get a promise.
    const waiting: Array<Promise<PipelineOutcome>> = [];
    const waitingAt: number[] = [];
    try {
      for (let i = 0; i < records.length; i++) {
        const o = processOne(records[i] as IncomingRecord);
        if (isPromise(o)) {
          waiting.push(o);
          waitingAt.push(i);
        } else outcomes[i] = o;
      }
    } catch (err) {
      // A retriable failure fails the batch; records still waiting on I/O must not leave
      // unhandled rejections behind.
      for (const w of waiting) w.catch(() => undefined);
      throw err;
    }
    if (waiting.length > 0) {
      const settled = await Promise.all(waiting);
      for (let k = 0; k < settled.length; k++) outcomes[waitingAt[k] as number] = settled[k] as PipelineOutcome;
    }
    return { outcomes };
  };

  return async function handleBatch(records: readonly IncomingRecord[]): Promise<BatchResult> {
    stepTimes.clear();
    let processed: { outcomes: PipelineOutcome[]; headers?: Headers[] };
    try {
      processed = await processAll(records);
    } finally {
      reportStepTimes();
    }
    const { outcomes, headers: tracedHeaders } = processed;
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
    // First and last record per partition, for the rewind and commit positions.
    const first = new Map<string, Map<number, IncomingRecord>>();
    const last = new Map<string, Map<number, IncomingRecord>>();
    for (let i = 0; i < records.length; i++) {
      const r = records[i] as IncomingRecord;
      let lastOfTopic = last.get(r.topic);
      if (lastOfTopic === undefined) {
        last.set(r.topic, (lastOfTopic = new Map()));
        first.set(r.topic, new Map());
      }
      if (!lastOfTopic.has(r.partition)) first.get(r.topic)?.set(r.partition, r);
      lastOfTopic.set(r.partition, r);

      const outcome = outcomes[i] as PipelineOutcome;
      // Indexed loops: array iterators in this async function were allocated per record.
      for (let k = 0; k < outcome.forwardedBy.length; k++) count(outcome.forwardedBy[k] as string, 'forward');
      if (outcome.kind !== 'forward') count(outcome.processor, outcome.kind === 'drop' ? 'drop' : 'dead_letter');
      if (outcome.kind === 'drop') {
        dropped++;
      } else if (outcome.kind === 'deadLetter') {
        deadLetter(r, outcome.error, outcome.processor);
      } else {
        // Never modified downstream, so one headers object serves every output of the record:
        // the tracer's, or the source record's own trace context (the source position header
        // lives only on the StreamRecord).
        const headers = tracedHeaders === undefined ? traceContextOf(r.headers) : tracedHeaders[i];
        try {
          for (let t = 0; t < settings.sinkTopics.length; t++) {
            const topic = settings.sinkTopics[t] as string;
            let value = codec.encode(topic, outcome.record.value);
            if (isPromise(value)) value = await value;
            outputs.push({ topic, key: r.key, value, headers, timestampMs: r.timestampMs });
          }
          forwarded++;
        } catch (err) {
          if (isZenthosError(err) && err.retriable) throw err;
          deadLetter(r, toZenthosError(err, 'ZEN_PAYLOAD_INVALID'), 'encode');
        }
      }
    }
    // 64-bit offset + 1 (BigInt) once per partition, not once per record.
    const positions: CommitPosition[] = [];
    const rewindTo: CommitPosition[] = [];
    for (const byPartition of last.values()) for (const r of byPartition.values()) positions.push(nextPosition(r));
    for (const byPartition of first.values())
      for (const r of byPartition.values()) rewindTo.push({ topic: r.topic, partition: r.partition, offset: r.offset });
    return { outputs, positions, rewindTo, forwarded, dropped, deadLettered, deadLetterReasons, steps };
  };
}
