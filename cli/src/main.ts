import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { isZenthosError } from '@zenthos/core';
import { installRequestQueueFix } from '@zenthos/kafka';
import { projectRoot } from './project';
import { registerStackCommands } from './stack/commands';
import { registerDbCommands } from '@zenthos/db';
import { registerDevicesCommands } from '@zenthos/devices';
import { registerSinkCommands } from '@zenthos/timescale-sink';
import { registerRabbitCommands } from '@zenthos/rabbitmq-bridge';
import { registerOtaCommands } from '@zenthos/ota-api';
import { registerSchemasCommands } from '@zenthos/schemas';
import { registerStreamsCommands } from '@zenthos/streams';
import { registerBridgeCommands } from '@zenthos/mqtt-bridge';
import { registerSimCommands } from '@zenthos/simulator';
import { registerDemoCommands } from '@zenthos/demo';
import { registerBenchCommands } from '@zenthos/bench';

/**
 * Builds the `zenthos` command. Each area of the project contributes its own sub-commands
 * through a `register…Commands(program)` function; this is the one place they are wired.
 */
export function createProgram(): Command {
  const program = new Command('zenthos')
    .description('Zenthos: an observability-first IoT platform for ESP32 fleets')
    .version('0.1.0')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerStackCommands(program);
  registerDbCommands(program);
  registerDevicesCommands(program);
  registerSinkCommands(program);
  registerRabbitCommands(program);
  registerOtaCommands(program);
  registerSchemasCommands(program);
  registerStreamsCommands(program);
  registerBridgeCommands(program);
  registerSimCommands(program);
  registerDemoCommands(program);
  registerBenchCommands(program);
  return program;
}

/** Entry point of bin/zenthos.js: loads `.env` when present, runs, and turns errors into exit codes. */
export async function main(argv: string[]): Promise<void> {
  const dotenv = join(projectRoot(), '.env');
  if (existsSync(dotenv)) process.loadEnvFile(dotenv);
  // Every kafkajs client of this process (admin clients, the schema registry's log) gets it.
  installRequestQueueFix();
  try {
    await createProgram().parseAsync(argv);
  } catch (err) {
    if (isZenthosError(err)) {
      process.stderr.write(`zenthos: ${err.code}: ${err.message}\n`);
    } else {
      process.stderr.write(`zenthos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}
