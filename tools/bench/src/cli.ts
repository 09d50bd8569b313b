import type { Command } from 'commander';

/** `zenthos bench`. */
export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('benchmarks')
    .action(() => {
      throw new Error('not implemented yet');
    });
}
