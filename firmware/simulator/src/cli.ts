import type { Command } from 'commander';
import { loadSimConfig } from './config';
import { parseSimOptions, type RawSimOptions } from './domain/options';
import { startSimulation } from './main';

/**
 * `zenthos sim`: N simulated devices for a bounded time, progress on stderr every second and
 * the JSON summary on stdout. Ctrl-C ends the run early with the same summary.
 */
export function registerSimCommands(program: Command): void {
  program
    .command('sim')
    .description(
      'simulate N devices running the firmware/common logic on host adapters (mqtt.js, fetch, file-backed flash): ' +
        'registers them if needed, connects them to the MQTT bridge (username = device id, password = device token), ' +
        'publishes telemetry at QoS 1 and, with --ota, installs signed releases from the OTA API. ' +
        'Progress (sent, acknowledged, rate, errors, buffered) on stderr every second; a JSON summary on stdout. ' +
        'Settings: SIM_MQTT_URL, SIM_OTA_URL, SIM_OTA_API_TOKEN, SIM_STATE_DIR, DATABASE_URL, DEVICE_TOKEN_*',
    )
    .option('--devices <n>', 'number of devices (1 to 10000)', '10')
    .option('--rate <r>', 'telemetry messages per second per device (0.01 = one every 100 s)', '1')
    .option('--duration <d>', 'stop after this long: seconds or 30s, 2m, 1h', '60')
    .option('--ota', 'check the OTA API for firmware updates and install them (verify, reboot, self-test, report)')
    .option('--model <model>', 'device model', 'esp32-s3')
    .option('--prefix <prefix>', 'device ids are <prefix>-<model>-0001 …', 'sim')
    .option('--firmware-version <v>', 'version in the simulated flash when a device starts for the first time', 'v0.1.0')
    .option('--ota-check-interval <d>', 'how often each device checks for updates', '10s')
    .option('--register <mode>', 'db (device registry in Postgres), api (OTA API POST /devices with SIM_OTA_API_TOKEN) or none')
    .option('--ramp-up <d>', 'spread device start-up over this long (default: 20 ms per device, at most 5 s)')
    .option('--verbose', 'print each device firmware diagnostic line on stderr')
    .action(async (raw: RawSimOptions & { verbose?: boolean }) => {
      const config = loadSimConfig(process.env);
      const options = parseSimOptions(raw, { register: config.SIM_OTA_API_TOKEN ? 'api' : 'db' });
      const err = (line: string): void => void process.stderr.write(`${line}\n`);
      const sim = await startSimulation(config, options, {
        progress: err,
        ...(raw.verbose ? { deviceLog: err } : {}),
      });
      const interrupt = (): void => {
        err('stopping: draining queued messages (Ctrl-C again to quit at once)');
        process.once('SIGINT', () => process.exit(130));
        void sim.stop();
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      const summary = await sim.done;
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      if (summary.acknowledged === 0) process.exitCode = 1;
    });
}
