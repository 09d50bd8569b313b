/**
 * The OTA API's metrics in Prometheus text: `zenthos.ota.requests_total{status}` (spec §10)
 * is exposed as `zenthos_ota_requests_total`, plus counters for swallowed cache errors and
 * publishes. Kept dependency-free so /metrics works without an OpenTelemetry collector.
 */
export interface OtaMetrics {
  countRequest(status: number): void;
  countCacheError(): void;
  countPublish(kind: string): void;
  render(): string;
}

/** Creates the counters. */
export function createOtaMetrics(): OtaMetrics {
  const requests = new Map<string, number>();
  const publishes = new Map<string, number>();
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
    render: () => {
      const lines = ['# HELP zenthos_ota_requests_total OTA API requests by HTTP status', '# TYPE zenthos_ota_requests_total counter'];
      for (const [status, n] of [...requests].sort()) lines.push(`zenthos_ota_requests_total{status="${status}"} ${n}`);
      lines.push('# HELP zenthos_ota_publishes_total Releases published', '# TYPE zenthos_ota_publishes_total counter');
      for (const [kind, n] of [...publishes].sort()) lines.push(`zenthos_ota_publishes_total{kind="${kind}"} ${n}`);
      lines.push(
        '# HELP zenthos_ota_cache_errors_total Cache operations that failed and fell back to Postgres',
        '# TYPE zenthos_ota_cache_errors_total counter',
      );
      lines.push(`zenthos_ota_cache_errors_total ${cacheErrors}`);
      return `${lines.join('\n')}\n`;
    },
  };
}
