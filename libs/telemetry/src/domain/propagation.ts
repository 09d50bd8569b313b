import {
  context as contextApi,
  ROOT_CONTEXT,
  trace,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * Header values as message systems deliver them: Kafka headers (Buffer), AMQP headers (string or
 * Buffer), MQTT 5 user properties (string, or string[] when a key repeats).
 */
export type HeaderValue = string | Buffer | readonly string[] | undefined;

/**
 * A carrier to inject into: Kafka produce headers, AMQP `headers`, MQTT 5 `userProperties`.
 * Injected values are always strings.
 */
export type HeaderCarrier = Record<string, string | Buffer | string[]>;

// W3C Trace Context (traceparent, tracestate) and W3C Baggage. Used directly rather than through
// the global propagator, so the helpers work in code that runs before (or without) initTelemetry.
const propagator = new CompositePropagator({
  propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
});

const setter: TextMapSetter<HeaderCarrier> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

const asString = (value: HeaderValue): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return value[0];
};

const getter: TextMapGetter<Readonly<Record<string, HeaderValue>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    // Kafka and MQTT keys are exact; HTTP-style senders may capitalise (`Traceparent`).
    if (key in carrier) return asString(carrier[key]);
    const found = Object.keys(carrier).find((k) => k.toLowerCase() === key);
    return found === undefined ? undefined : asString(carrier[found]);
  },
};

/**
 * Writes the W3C `traceparent` (and `tracestate`, `baggage` when present) of `ctx` into
 * `carrier` as strings, and returns the carrier (a new `Record<string, string>` when none is
 * given). Nothing is written when `ctx` has no valid span.
 *
 * ```ts
 * const headers: Record<string, string | Buffer> = { 'content-type': 'avro' };
 * injectTraceHeaders(context.active(), headers);   // Kafka produce / AMQP publish / MQTT 5 userProperties
 * const fresh = injectTraceHeaders(context.active()); // { traceparent: '00-…' }
 * ```
 */
export function injectTraceHeaders(ctx: Context): Record<string, string>;
export function injectTraceHeaders<C extends HeaderCarrier>(ctx: Context, carrier: C): C;
export function injectTraceHeaders(ctx: Context, carrier: HeaderCarrier = {}): HeaderCarrier {
  propagator.inject(ctx, carrier, setter);
  return carrier;
}

/**
 * The context carried by `headers` (W3C `traceparent`/`tracestate`/`baggage`; Buffer values are
 * UTF-8), on top of `base` (the active context by default). Start the consumer's span with it as
 * parent: `tracer.startActiveSpan('db.write', {}, extractTraceContext(msg.headers), fn)`.
 * Missing or malformed headers give `base` unchanged, so the span becomes a new root.
 */
export const extractTraceContext = (
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  base: Context = contextApi.active(),
): Context => (headers ? propagator.extract(base, headers, getter) : base);

/** The header names the propagator reads and writes (`traceparent`, `tracestate`, `baggage`). */
export const traceHeaderNames: readonly string[] = propagator.fields();

/** Where a span over a batch of messages belongs: see {@link batchTraceContext}. */
export interface BatchTraceContext {
  /** Context of the batch's first traced message (the span's parent); the active context when none is traced. */
  readonly parent: Context;
  /** Span contexts of the other traced messages, at most `maxLinks`. */
  readonly links: { context: SpanContext }[];
}

/**
 * A batch write (the sink's `db.write`, the RabbitMQ bridge's `rabbit.publish`) serves many
 * messages. It is made a child of the first traced message, so that message's trace runs from
 * the device to the database (spec §10), and links to the others, as OpenTelemetry models a
 * span with several causes.
 */
export function batchTraceContext(
  headersOfMessages: Iterable<Readonly<Record<string, HeaderValue>> | undefined>,
  maxLinks = 32,
): BatchTraceContext {
  let parent: Context | undefined;
  const links: { context: SpanContext }[] = [];
  for (const headers of headersOfMessages) {
    // On the root context, a message without trace headers yields no span context.
    const ctx = extractTraceContext(headers, ROOT_CONTEXT);
    const sc = trace.getSpanContext(ctx);
    if (!sc) continue;
    if (parent === undefined) parent = ctx;
    else if (links.length < maxLinks) links.push({ context: sc });
    else break;
  }
  return { parent: parent ?? contextApi.active(), links };
}
