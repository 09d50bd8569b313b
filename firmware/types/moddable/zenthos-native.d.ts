// The firmware's own small native module (firmware/moddable/native): ESP-IDF calls that the
// Moddable SDK does not expose to scripts.
declare module 'zenthos-native' {
  /** ESP-IDF state of the running app partition (esp_ota_get_state_partition). */
  export function runningState(): 'pending' | 'valid' | 'unknown';
  /** esp_ota_mark_app_valid_cancel_rollback(). */
  export function markValid(): void;
  /** esp_ota_mark_app_invalid_rollback_and_reboot(); does not return. */
  export function rollbackAndReboot(): void;
  /** esp_restart(); does not return. */
  export function restart(): void;
  /** `count` bytes from the hardware RNG (esp_fill_random). */
  export function randomBytes(count: number): ArrayBuffer;
  /** Free heap in bytes (esp_get_free_heap_size). */
  export function freeHeap(): number;
}
