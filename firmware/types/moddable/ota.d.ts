// Moddable SDK `ota` module (ESP32): writes the next OTA app partition through ESP-IDF
// esp_ota_begin / esp_ota_write / esp_ota_end + esp_ota_set_boot_partition.
declare module 'ota' {
  export default class OTA {
    /** Starts an update; `byteLength` lets ESP-IDF erase only what the image needs. */
    constructor(options?: { byteLength?: number });
    /** Appends bytes to the next OTA partition. */
    write(bytes: ArrayBuffer): void;
    /** Validates the image and makes it the boot partition. */
    complete(): void;
    /** Abandons the update. */
    cancel(): void;
  }
}
