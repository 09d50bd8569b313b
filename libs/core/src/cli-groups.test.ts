import { runCommandGroup } from './cli-groups';

class FakeCommand {
  readonly commands: FakeCommand[] = [];
  text = '';
  constructor(private readonly commandName: string) {}
  name(): string {
    return this.commandName;
  }
  description(text: string): FakeCommand {
    this.text = text;
    return this;
  }
  command(nameAndArgs: string): FakeCommand {
    const child = new FakeCommand(nameAndArgs.split(' ')[0]!);
    this.commands.push(child);
    return child;
  }
}

describe('runCommandGroup', () => {
  it('creates the run group once and hands the same one to every caller', () => {
    const program = new FakeCommand('zenthos');
    const first = runCommandGroup(program);
    const second = runCommandGroup(program);
    expect(second).toBe(first);
    expect(program.commands.map((c) => c.name())).toEqual(['run']);
    expect(first.text).not.toBe('');
  });
});
