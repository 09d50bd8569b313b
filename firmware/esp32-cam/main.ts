import config from 'mc/config';
import Net from 'net';
import { createLinearModelInference } from 'zenthos/domain/linear-model';
import { startApp } from 'zenthos/moddable/app';
import { createModelSlots } from 'zenthos/moddable/model-slots';
import { freeHeap } from 'zenthos-native';

/**
 * ESP32-CAM app (the common ESP32 camera module, 4 MB flash). The board has no free I2C bus next to the camera, so its telemetry
 * is the radio and the heap (link health for a camera node); the model slot carries the
 * classifier that decides when the link is degraded. Camera capture is not part of this app.
 */
export default function main(): void {
  const modelSlots = createModelSlots(['model0', 'model1']);
  startApp(config, {
    sensors: {
      read: () => ({ rssi_dbm: Net.get('RSSI') ?? 0, free_heap_bytes: freeHeap() }),
    },
    modelSlots,
    inference: createLinearModelInference(() => modelSlots.readActive()),
  });
}
