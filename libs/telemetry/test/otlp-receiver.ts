import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP JSON export request as received. */
export interface OtlpRequest {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

/** A span as the OTLP JSON encoding carries it (ids are hex strings). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly serviceName: string;
}

/** A minimal OTLP/HTTP receiver (JSON encoding) on 127.0.0.1, for tests. */
export interface OtlpReceiver {
  readonly endpoint: string;
  readonly requests: OtlpRequest[];
  spans(): OtlpSpan[];
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string };
type KeyValue = { key: string; value: AnyValue };

export const attribute = (attrs: KeyValue[] | undefined, key: string): string | undefined =>
  attrs?.find((a) => a.key === key)?.value.stringValue;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(raw) as Record<string, unknown> });
        // OTLP/HTTP §"Success": 200 with an (empty) Export*ServiceResponse.
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"message":"not OTLP JSON"}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests
        .filter((r) => r.path === '/v1/traces')
        .flatMap((r) =>
          (r.body.resourceSpans as Array<{ resource: { attributes: KeyValue[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>).flatMap(
            (rs) =>
              rs.scopeSpans.flatMap((ss) =>
                ss.spans.map((s) => ({ ...s, serviceName: attribute(rs.resource.attributes, 'service.name') ?? '' })),
              ),
          ),
        ),
    close: () => new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
