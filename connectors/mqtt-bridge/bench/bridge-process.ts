// Runs the bridge alone in its own process so the benchmark can measure its CPU and memory:
// prints one JSON line {"port": ...} when ready and stops on SIGTERM.
import { loadBridgeConfig } from '../src/config';
import { startBridge } from '../src/main';

void (async () => {
  const bridge = await startBridge(loadBridgeConfig(process.env));
  process.stdout.write(`${JSON.stringify({ port: bridge.broker?.port })}\n`);
  process.once('SIGTERM', () => void bridge.close().then(() => process.exit(0)));
})().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
