import config from 'mc/config';
import SHT3x from 'embedded:sensor/Humidity-Temperature/SHT3x';
import Net from 'net';
import { createLinearModelInference } from 'zenthos/domain/linear-model';
import { FirmwareError } from 'zenthos/errors';
import { startApp } from 'zenthos/moddable/app';
import { createModelSlots } from 'zenthos/moddable/model-slots';
import { freeHeap } from 'zenthos-native';

/**
 * ESP32-S3 app: an SHT3x temperature/humidity sensor on the default I2C bus, telemetry every
 * 10 s, signed firmware OTA, and an ML model ("comfort" classifier) updated through the model slot.
 * Runs once Wi-Fi is up (manifest_net.json's setup/network).
 */
export default function main(): void {
  const sht = new SHT3x({ sensor: { ...device.I2C.default, address: 0x44 } });
  const modelSlots = createModelSlots(['model0', 'model1']);
  startApp(config, {
    sensors: {
      read: () => {
        const sample = sht.sample();
        const temperature = sample?.thermometer?.temperature;
        const humidity = sample?.hygrometer?.humidity;
        if (temperature === undefined || humidity === undefined) throw new FirmwareError('ZEN_FW_SENSOR_FAILED', 'SHT3x gave no sample');
        return { temperature, humidity, rssi_dbm: Net.get('RSSI') ?? 0, free_heap_bytes: freeHeap() };
      },
    },
    modelSlots,
    inference: createLinearModelInference(() => modelSlots.readActive()),
    // A new firmware must still see its sensor before it is kept.
    selfTest: () => {
      if (!sht.sample()?.thermometer) throw new FirmwareError('ZEN_FW_SELF_TEST_FAILED', 'SHT3x does not answer');
    },
  });
}
