import type { EndToEndResult, ServiceFigures } from '../main';
import { benchMethod } from './method';
import { parseBenchOptions } from './options';
import { formatReport } from './report';
import type { StageBreakdown } from './stages';

const usage = (pid: number, cpuSeconds: number, messages: number): ServiceFigures => ({
  pid,
  cpuCores: 0.1,
  cpuSeconds,
  maxRssMiB: 100,
  peakRssMiB: 110,
  cpuMsPerMessage: Math.round((cpuSeconds * 1e6) / messages) / 1000,
});

const summary = { count: 1_000, minMs: 5, p50Ms: 10, p90Ms: 20, p99Ms: 30, maxMs: 40, meanMs: 12 };
const stages: StageBreakdown = {
  publishToBridge: summary,
  bridgeToProcessed: summary,
  processedToVisible: summary,
  visibleToRow: summary,
};

/** A 1,000-message result, with or without the stage observer. */
const result = (withStages: boolean, over: Partial<EndToEndResult> = {}): EndToEndResult => {
  const options = parseBenchOptions({ devices: '10', messages: '100', baselines: false, stages: withStages });
  return {
    kind: 'end-to-end',
    startedAt: '2026-11-30T00:00:00.000Z',
    machine: { cpus: 2, cpuModel: 'test', node: 'v24.0.0' },
    options,
    method: benchMethod(options),
    endToEnd: {
      published: 1_000,
      acknowledged: 1_000,
      publishErrors: 0,
      bridgeAckPerSecond: 5_000,
      ackLatency: summary,
      messagesPerSecond: 4_000,
      rows: 1_000,
      lost: 0,
      duplicated: 0,
      latency: summary,
      arrivalTrigger: 'statement',
      stages: withStages ? stages : null,
      processorTransactions: 10,
    },
    services: { 'load-generator': usage(1, 0.005, 1_000), bridge: usage(2, 0.025, 1_000) },
    stageObserver: withStages ? usage(3, 0.007, 1_000) : null,
    infrastructure: { 'kafka-broker': { cpuCores: 0.2, cpuSeconds: 0.02, cpuMsPerMessage: 0.02 } },
    cpuMsPerMessageTotal: 0.05,
    logDir: null,
    kafkaBrokerAgeS: 3_600,
    machineSpeed: {
      before: { medianMs: 92.1, minMs: 91, maxMs: 95, samples: 5 },
      after: { medianMs: 120.5, minMs: 118, maxMs: 131, samples: 5 },
    },
    baselines: { mosquitto: null, kafkaProducer: null, postgresCopy: null },
    ratios: { endToEndVsMosquitto: null, endToEndVsKafkaProducer: null, endToEndVsCopy: null },
    paced: null,
    sweep: null,
    goal: { messagesPerSecond: 20_000, p99Ms: 1_000, met: false },
    ...over,
  };
};

const lines = (r: EndToEndResult): string[] => formatReport(r, 'bench-results/e2e.json').split('\n');

describe('formatReport', () => {
  it('says the stages were not measured without --stages, and shows no observer', () => {
    const out = lines(result(false));
    expect(out.find((l) => l.includes('publish → row by stage'))).toContain('not measured (--stages measures it');
    expect(out.some((l) => l.includes('publish → bridge'))).toBe(false);
    expect(out.some((l) => l.includes('stage observer'))).toBe(false);
  });
  it('prints the legs and the observer on a line of its own, after the total it is not part of', () => {
    const out = lines(result(true));
    expect(out.find((l) => l.includes('publish → bridge'))).toMatch(/publish → bridge\s+5 \/ 10 \/ 30 {2}\(1,000 messages\)/);
    const total = out.findIndex((l) => l.includes('CPU per message, all of the above'));
    const observer = out.findIndex((l) => l.includes('stage observer'));
    expect(out[total]).toContain('0.050 ms/msg');
    expect(observer).toBeGreaterThan(total);
    expect(out[observer]).toMatch(/stage observer\s+0\.10 cores {2}0\.007 ms\/msg {2}100 MiB/);
  });
  it('prints the machine speed before and after the run', () => {
    expect(lines(result(false))).toContain(
      '  machine speed: a fixed loop took 92.1 ms before the warm-up, 120.5 ms after the run (higher is slower)',
    );
  });
  it('prints the total CPU per message, the log level and a kept log directory', () => {
    const out = lines(result(false, { logDir: 'logs-of-the-run', cpuMsPerMessageTotal: 0.1 }));
    expect(out).toContain('  CPU per message, all of the above 0.100 ms/msg');
    expect(out.find((l) => l.startsWith('  services'))).toContain('LOG_LEVEL warn');
    expect(out).toContain('service logs: logs-of-the-run');
    expect(lines(result(false)).some((l) => l.startsWith('service logs'))).toBe(false);
  });
});
