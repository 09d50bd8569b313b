import { benchMethod } from './method';

describe('benchMethod', () => {
  it('says that stages were not measured, and why, without --stages', () => {
    const text = benchMethod({ stages: false, logLevel: 'warn' });
    expect(text).toContain('Stages: not measured (stages null)');
    expect(text).toContain('run with --stages');
    expect(text).not.toContain('read_committed consumer');
  });
  it('describes the observer and where its CPU is reported with --stages', () => {
    const text = benchMethod({ stages: true, logLevel: 'warn' });
    expect(text).toContain("a read_committed consumer of the run's enriched topic");
    expect(text).toContain('stageObserver');
    expect(text).not.toContain('not measured');
  });
  it('names the log level of the services and what the CPU total covers', () => {
    const text = benchMethod({ stages: false, logLevel: 'info' });
    expect(text).toContain('LOG_LEVEL info');
    expect(text).toContain('cpuMsPerMessageTotal = the CPU of the load generator, the services and those stack processes');
  });
});
