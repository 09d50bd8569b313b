// The load generator's own process (see load-process.ts): runs one load per `run` message and
// sends back what happened; `exit` ends it. Nothing else runs here, so a benchmark's CPU and
// memory figures for this pid are the generator's alone.
import { runLoad } from './mqtt-load';
import type { LoadChildMessage, LoadRunSettings } from './load-process';

const send = (m: LoadChildMessage): Promise<void> => new Promise((resolve) => process.send?.(m, () => resolve()));

process.on('message', (m: { run?: LoadRunSettings; exit?: boolean }) => {
  if (m.exit) {
    process.exit(0);
  }
  if (!m.run) return;
  runLoad({ ...m.run, onProgress: (acknowledged, errors) => void send({ progress: [acknowledged, errors] }) }).then(
    async (r) => {
      const ids: string[] = [];
      const publishedMs = new Float64Array(r.publishedAt.size);
      for (const [id, t] of r.publishedAt) publishedMs[ids.push(id) - 1] = t;
      const { publishedAt: _publishedAt, ackLatenciesMs, ...counts } = r;
      await send({ result: { ...counts, ids, publishedMs, ackLatenciesMs: Float64Array.from(ackLatenciesMs) } });
    },
    async (err: unknown) => {
      await send({ error: { code: (err as { code?: string }).code, message: err instanceof Error ? err.message : String(err) } });
    },
  );
});

void send({ ready: true });
