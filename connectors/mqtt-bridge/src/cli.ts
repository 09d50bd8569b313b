import type { Command } from 'commander';
import { runCommandGroup } from '@zenthos/core';
import { initTelemetry } from '@zenthos/telemetry';
import { loadBridgeConfig } from './config';
import { startBridge } from './main';

/** `zenthos run bridge`: the MQTT → Kafka bridge in the foreground. */
export function registerBridgeCommands(program: Command): void {
  runCommandGroup(program)
    .command('bridge')
    .description(
      'run the MQTT → Kafka bridge: an Aedes broker on BRIDGE_MQTT_PORT (1883) and, with a certificate, TLS on 8883 ' +
        '(or, with MQTT_URL, a shared subscription on that broker); devices authenticate with their token, ' +
        'publishes are validated, Avro-encoded and acknowledged only after Kafka has them; ' +
        'it also relays OTA release notifications from Kafka to the devices',
    )
    .addHelpText(
      'after',
      [
        '',
        'Device → platform: zenthos/{model}/{id}/{telemetry|status|inference|logs} → <BRIDGE_TOPIC_PREFIX>.<kind>.raw',
        '  (Avro; the first topic level is BRIDGE_MQTT_ROOT); invalid payloads → <prefix>.dlq with a reason code.',
        'Platform → device (OTA notification relay, on unless BRIDGE_OTA_NOTIFICATIONS=false):',
        '  consumes <BRIDGE_TOPIC_PREFIX>.ota.notifications (group BRIDGE_OTA_GROUP_ID) and publishes each',
        '  notification as JSON to zenthos/{model}/{id}/ota at QoS 1 with retain, on the Aedes broker or on',
        '  MQTT_URL; offsets are committed only after the broker took the messages.',
        'Settings come from the environment (see .env.example): KAFKA_BROKERS, SCHEMA_REGISTRY_URL,',
        '  DATABASE_URL, DEVICE_TOKEN_PUBLIC_KEY, BRIDGE_* (BRIDGE_REDIS_URL for scale-out), OTEL_*.',
      ].join('\n'),
    )
    .option('--port <port>', 'plain MQTT port (overrides BRIDGE_MQTT_PORT)')
    .option('--mqtt-url <url>', 'external-broker mode on this broker (overrides MQTT_URL)')
    .action(async (opts: { port?: string; mqttUrl?: string }) => {
      const config = loadBridgeConfig({
        ...process.env,
        ...(opts.port ? { BRIDGE_MQTT_PORT: opts.port } : {}),
        ...(opts.mqttUrl ? { MQTT_URL: opts.mqttUrl } : {}),
      });
      const telemetry = initTelemetry({ serviceName: 'mqtt-bridge', env: process.env });
      const bridge = await startBridge(config, { telemetry });
      const where = bridge.broker
        ? `mqtt://0.0.0.0:${bridge.broker.port}${bridge.broker.tlsPort ? ` and mqtts://0.0.0.0:${bridge.broker.tlsPort}` : ''}`
        : `${config.MQTT_URL} ($share/${config.BRIDGE_SHARE_GROUP}/${config.BRIDGE_MQTT_ROOT}/+/+/+)`;
      process.stdout.write(`bridge ready on ${where}; ops on http://127.0.0.1:${bridge.ops.port}/metrics\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void bridge
            .close()
            .then(() => telemetry.shutdown())
            .then(resolve, resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
