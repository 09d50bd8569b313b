// XS globals available in every Moddable app.
import type MQTTClient from 'embedded:network/mqtt/client';

declare global {
  /** Writes to the xsbug / serial console. */
  function trace(...values: unknown[]): void;

  /**
   * ECMA-419 host provider (`embedded:provider/builtin`), installed as a global by the manifests
   * the apps include. Only what the firmware touches is declared.
   */
  const device: {
    readonly network: {
      /** Present when `manifest_mqttclient.json` is included: the ECMA-419 MQTT client and its dns/socket. */
      readonly mqtt: { readonly io: typeof MQTTClient; readonly dns: unknown; readonly socket: unknown };
    };
    readonly I2C: { readonly default: Readonly<Record<string, unknown>> };
  };
}

export {};
