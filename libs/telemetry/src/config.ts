import { ZenthosError } from '@zenthos/core';
import { z } from 'zod';

// The OTEL_* variables this library honours (OpenTelemetry SDK environment variable spec).
// Unknown OTEL_* variables are ignored, as the SDKs do.
const exporterChoice = z.enum(['otlp', 'none']);
const protocol = z.enum(['http/protobuf', 'http/json']);
const sampler = z.enum([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);
const url = z.url({ protocol: /^https?$/ });
const positiveMs = z.coerce.number().int().positive();
const flag = z
  .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False', '1', '0', ''])
  .transform((v) => v.toLowerCase() === 'true' || v === '1');

export const otelEnvSchema = z.object({
  OTEL_SDK_DISABLED: flag.optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: protocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: z.string().optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: positiveMs.optional(),
  OTEL_TRACES_EXPORTER: exporterChoice.optional(),
  OTEL_METRICS_EXPORTER: z.enum(['otlp', 'prometheus', 'none']).optional(),
  OTEL_LOGS_EXPORTER: exporterChoice.optional(),
  OTEL_TRACES_SAMPLER: sampler.optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_METRIC_EXPORT_INTERVAL: positiveMs.optional(),
  OTEL_METRIC_EXPORT_TIMEOUT: positiveMs.optional(),
  OTEL_BSP_SCHEDULE_DELAY: positiveMs.optional(),
  OTEL_BLRP_SCHEDULE_DELAY: positiveMs.optional(),
});

/** The validated OTEL_* variables. */
export type OtelEnv = z.infer<typeof otelEnvSchema>;

/** Which OTLP/HTTP encoding an exporter uses. */
export type OtlpProtocol = z.infer<typeof protocol>;

/** Where and how one signal is exported; absent when the signal is not exported over OTLP. */
export interface OtlpTarget {
  readonly url: string;
  readonly protocol: OtlpProtocol;
  readonly headers: Record<string, string>;
  readonly timeoutMs: number;
}

/** Everything initTelemetry needs, derived once from the environment. */
export interface TelemetrySettings {
  readonly serviceName: string;
  readonly resourceAttributes: Record<string, string>;
  readonly traces?: OtlpTarget;
  readonly metrics?: OtlpTarget;
  readonly logs?: OtlpTarget;
  readonly sampler: z.infer<typeof sampler>;
  readonly samplerRatio: number;
  readonly metricExportIntervalMs: number;
  readonly metricExportTimeoutMs: number;
  readonly spanScheduleDelayMs: number;
  readonly logScheduleDelayMs: number;
}

/** `key1=value1,key2=value2` (W3C Baggage-like, percent-decoded), as OTEL_RESOURCE_ATTRIBUTES and OTEL_*_HEADERS use. */
export const parseKeyValueList = (text: string | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = decodeURIComponent(part.slice(0, eq).trim());
    if (key) out[key] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
};

const signalPath = { TRACES: 'v1/traces', METRICS: 'v1/metrics', LOGS: 'v1/logs' } as const;

const target = (env: OtelEnv, signal: keyof typeof signalPath, exporter: string | undefined): OtlpTarget | undefined => {
  if (env.OTEL_SDK_DISABLED || exporter === 'none' || exporter === 'prometheus') return undefined;
  // Spec: a signal-specific endpoint is used as is; the generic one gets /v1/<signal> appended.
  const specific = env[`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`];
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = specific ?? (generic ? `${generic.replace(/\/+$/, '')}/${signalPath[signal]}` : undefined);
  if (!url) return undefined;
  return {
    url,
    protocol: env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf',
    headers: { ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValueList(env[`OTEL_EXPORTER_OTLP_${signal}_HEADERS`]) },
    timeoutMs: env.OTEL_EXPORTER_OTLP_TIMEOUT ?? 10_000,
  };
};

/**
 * Reads the OTEL_* variables of `env` (the service's validated environment, or `process.env` in
 * `main.ts`). Throws one ZEN_CONFIG_INVALID error naming every bad variable.
 */
export const loadTelemetrySettings = (serviceName: string, env: Readonly<Record<string, string | undefined>>): TelemetrySettings => {
  const otelOnly = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('OTEL_') && v !== undefined && v !== ''));
  const parsed = otelEnvSchema.safeParse(otelOnly);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ZenthosError('ZEN_CONFIG_INVALID', `invalid OpenTelemetry configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    // Spec: OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES and the code's default.
    serviceName: e.OTEL_SERVICE_NAME ?? parseKeyValueList(e.OTEL_RESOURCE_ATTRIBUTES)['service.name'] ?? serviceName,
    resourceAttributes: parseKeyValueList(e.OTEL_RESOURCE_ATTRIBUTES),
    traces: target(e, 'TRACES', e.OTEL_TRACES_EXPORTER),
    metrics: target(e, 'METRICS', e.OTEL_METRICS_EXPORTER),
    logs: target(e, 'LOGS', e.OTEL_LOGS_EXPORTER),
    sampler: e.OTEL_SDK_DISABLED ? 'always_off' : (e.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on'),
    samplerRatio: e.OTEL_TRACES_SAMPLER_ARG ?? 1,
    metricExportIntervalMs: e.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000,
    metricExportTimeoutMs: e.OTEL_METRIC_EXPORT_TIMEOUT ?? 30_000,
    spanScheduleDelayMs: e.OTEL_BSP_SCHEDULE_DELAY ?? 5_000,
    logScheduleDelayMs: e.OTEL_BLRP_SCHEDULE_DELAY ?? 1_000,
  };
};
