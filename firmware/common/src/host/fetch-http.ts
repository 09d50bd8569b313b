import type { HttpPort } from '../domain/ports';

/**
 * HttpPort over the global `fetch` (Node 18+), streaming the body chunk by chunk and waiting for
 * the sink before reading on, so a slow flash write applies back-pressure to the socket.
 */
export const createFetchHttpPort = (settings: { readonly timeoutMs?: number } = {}): HttpPort => ({
  async get(request, sink) {
    const response = await fetch(request.url, {
      ...(request.headers ? { headers: { ...request.headers } } : {}),
      signal: AbortSignal.timeout(settings.timeoutMs ?? 60_000),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const result = { status: response.status, headers };
    await sink.onResponse?.(result);
    if (!response.body) return result;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value && value.length > 0) await sink.onChunk(value);
      }
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      throw err;
    }
    return result;
  },
});
