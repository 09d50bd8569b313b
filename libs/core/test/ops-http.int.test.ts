import { createOpsServer, type OpsServer } from '../src';

describe('ops HTTP server', () => {
  let server: OpsServer;
  let healthy = true;
  beforeAll(async () => {
    server = await createOpsServer({
      port: 0,
      host: '127.0.0.1',
      checks: {
        db: async () => {
          if (!healthy) throw new Error('db down');
        },
      },
      metrics: () => '# TYPE zenthos_up gauge\nzenthos_up 1\n',
    });
  });
  afterAll(() => server.close());
  const url = (p: string): string => `http://127.0.0.1:${server.port}${p}`;

  it('answers /health with the spec body', async () => {
    const res = await fetch(url('/health'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; ts: number };
    expect(body.status).toBe('ok');
    expect(typeof body.ts).toBe('number');
  });

  it('reports readiness from its checks', async () => {
    healthy = true;
    expect((await fetch(url('/ready'))).status).toBe(200);
    healthy = false;
    const res = await fetch(url('/ready'));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { db: 'db down' } });
  });

  it('serves Prometheus text and JSON 404s', async () => {
    const metrics = await fetch(url('/metrics'));
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toContain('zenthos_up 1');
    const missing = await fetch(url('/nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'ZEN_NOT_FOUND' });
  });
});
