import type { Counter } from '@opentelemetry/api';
import { metricNames, metricOptions, type Telemetry } from '@zenthos/telemetry';

/**
 * The OTA API's metrics: `zenthos.ota.requests_total{status}` (spec §10, Prometheus name
 * `zenthos_ota_requests_total`), plus counters for swallowed cache errors and publishes.
 */
export interface OtaMetrics {
  countRequest(status: number, route: string, method: string): void;
  countCacheError(): void;
  countPublish(kind: string): void;
  /** Release notifications handed to Kafka (`zenthos.ota.notifications`), by kind and reason. */
  countNotifications(kind: string, reason: string, count: number): void;
  /** Prometheus text exposition for `/metrics`. */
  render(): string | Promise<string>;
}

/** Counters on the service's OpenTelemetry meter (exported over OTLP and on /metrics). */
export function createTelemetryMetrics(telemetry: Telemetry): OtaMetrics {
  const o = metricOptions.otaRequests;
  const requests: Counter = telemetry.meter.createCounter(metricNames.otaRequests, { unit: o.unit, description: o.description });
  const cacheErrors = telemetry.meter.createCounter('zenthos.ota.cache_errors', {
    description: 'cache operations that failed and fell back to Postgres',
  });
  const publishes = telemetry.meter.createCounter('zenthos.ota.publishes', { description: 'releases published' });
  const notifications = telemetry.meter.createCounter('zenthos.ota.notifications', {
    unit: '{notification}',
    description: 'release notifications handed to Kafka for the devices whose offer changed',
  });
  return {
    countRequest: (status, route, method) => requests.add(1, { status: String(status), route, method }),
    countCacheError: () => cacheErrors.add(1),
    countPublish: (kind) => publishes.add(1, { kind }),
    countNotifications: (kind, reason, count) => notifications.add(count, { kind, reason }),
    render: () => telemetry.metricsText(),
  };
}

/** Plain in-process counters, for a process without OpenTelemetry (tests, tools). */
export function createOtaMetrics(): OtaMetrics {
  const requests = new Map<string, number>();
  const publishes = new Map<string, number>();
  const notifications = new Map<string, number>();
  let cacheErrors = 0;
  const bump = (m: Map<string, number>, k: string): void => {
    m.set(k, (m.get(k) ?? 0) + 1);
  };
  return {
    countRequest: (status) => bump(requests, String(status)),
    countCacheError: () => {
      cacheErrors++;
    },
    countPublish: (kind) => bump(publishes, kind),
    countNotifications: (kind, reason, count) => {
      const key = `kind="${kind}",reason="${reason}"`;
      notifications.set(key, (notifications.get(key) ?? 0) + count);
    },
    render: () => {
      const lines = ['# HELP zenthos_ota_requests_total OTA API HTTP requests by status', '# TYPE zenthos_ota_requests_total counter'];
      for (const [status, n] of [...requests].sort()) lines.push(`zenthos_ota_requests_total{status="${status}"} ${n}`);
      lines.push('# HELP zenthos_ota_publishes_total releases published', '# TYPE zenthos_ota_publishes_total counter');
      for (const [kind, n] of [...publishes].sort()) lines.push(`zenthos_ota_publishes_total{kind="${kind}"} ${n}`);
      lines.push(
        '# HELP zenthos_ota_cache_errors_total cache operations that failed and fell back to Postgres',
        '# TYPE zenthos_ota_cache_errors_total counter',
      );
      lines.push(`zenthos_ota_cache_errors_total ${cacheErrors}`);
      lines.push(
        '# HELP zenthos_ota_notifications_total release notifications handed to Kafka for the devices whose offer changed',
        '# TYPE zenthos_ota_notifications_total counter',
      );
      for (const [labels, n] of [...notifications].sort()) lines.push(`zenthos_ota_notifications_total{${labels}} ${n}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
