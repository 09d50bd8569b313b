import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One OTLP/HTTP export request as received: `body` parsed for JSON, `raw` always. */
export interface OtlpRequest {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
  readonly raw: Buffer;
}

/** A span as the OTLP JSON encoding carries it (ids are hex strings). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly serviceName: string;
  readonly attributes?: KeyValue[];
  /** Span links (batch spans link to the traces of the messages they handle). */
  readonly links?: Array<{ traceId: string; spanId: string }>;
}

/**
 * A minimal OTLP/HTTP receiver on 127.0.0.1, for tests. It decodes the JSON encoding; protobuf
 * bodies (`application/x-protobuf`) are kept raw and acknowledged, which is enough to check
 * what was sent where.
 */
export interface OtlpReceiver {
  readonly endpoint: string;
  readonly requests: OtlpRequest[];
  /** Request headers, in the order of `requests`. */
  readonly headers: Array<Record<string, string | string[] | undefined>>;
  spans(): OtlpSpan[];
  close(): Promise<void>;
}

/** An OTLP JSON attribute (only string values are read here). */
export type KeyValue = { key: string; value: { stringValue?: string } };

export const attribute = (attrs: KeyValue[] | undefined, key: string): string | undefined =>
  attrs?.find((a) => a.key === key)?.value.stringValue;

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const headers: Array<Record<string, string | string[] | undefined>> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      headers.push({ ...req.headers });
      const contentType = req.headers['content-type'];
      if (contentType?.startsWith('application/x-protobuf')) {
        requests.push({ path: req.url ?? '', contentType, body: {}, raw });
        // An empty protobuf Export*ServiceResponse is zero bytes.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        return;
      }
      try {
        requests.push({ path: req.url ?? '', contentType, body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, raw });
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
    headers,
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
