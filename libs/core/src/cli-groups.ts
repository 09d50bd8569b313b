/**
 * The parts of a commander `Command` the helper needs. Core does not depend on commander, so
 * it is described structurally; a commander `Command` fits.
 */
export interface CommandGroupHost<C> {
  readonly commands: readonly C[];
  command(nameAndArgs: string): C;
}

/**
 * The shared `zenthos run <service>` group: returns the existing `run` command of `program` or
 * creates it. Every package that runs a long-lived service adds its subcommand here, in any
 * order, without knowing about the others:
 *
 * ```ts
 * runCommandGroup(program).command('registry').description('...').action(...)
 * ```
 */
export function runCommandGroup<C extends { name(): string; description(text: string): C }>(program: CommandGroupHost<C>): C {
  const existing = program.commands.find((c) => c.name() === 'run');
  if (existing) return existing;
  return program.command('run').description('run one Zenthos service in the foreground (stops on Ctrl-C / SIGTERM)');
}
