// ECMA-419 sensor class driver for the Sensirion SHT3x (Moddable modules/drivers/sensors/sht3x).
declare module 'embedded:sensor/Humidity-Temperature/SHT3x' {
  export default class SHT3x {
    constructor(options: { sensor: Readonly<Record<string, unknown>> });
    sample(): { hygrometer?: { humidity: number }; thermometer?: { temperature: number } } | undefined;
    close(): void;
  }
}
