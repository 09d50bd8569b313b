/**
 * The device logic talks to the world only through these small ports. The ESP32 apps implement
 * them over Moddable SDK modules; the host simulator implements them over Node (mqtt.js, fetch,
 * a file-backed two-slot flash); unit tests implement them in memory. Every method may return a
 * plain value or a promise so that synchronous device APIs (Moddable `flash`) and asynchronous
 * host APIs (Node `fs/promises`) both fit without wrappers.
 */

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** Callbacks an {@link MqttPort} invokes. */
export interface MqttEvents {
  /** The session is up (first connect or after a reconnect). */
  onConnected(): void;
  /** The session went down; the port keeps trying to reconnect on its own. */
  onDisconnected(reason?: string): void;
  /** A message arrived on a subscribed topic. */
  onMessage(topic: string, payload: Uint8Array): void;
}

/** MQTT 3.1.1 client. The port owns reconnection; the device owns what to resend. */
export interface MqttPort {
  /** Starts connecting (and reconnecting) and reports through `events`. */
  start(events: MqttEvents): MaybePromise<void>;
  /** Disconnects cleanly and stops reconnecting. */
  stop(): MaybePromise<void>;
  /**
   * Publishes one message. For QoS 1 the promise resolves when the broker's PUBACK arrives and
   * rejects if the connection drops first (MQTT 3.1.1 §4.3.2: only a PUBACK transfers ownership).
   */
  publish(topic: string, payload: Uint8Array, options: { qos: 0 | 1; retain?: boolean }): Promise<void>;
  /** Subscribes once connected; called again by the device after every reconnect. */
  subscribe(topic: string, options: { qos: 0 | 1 }): Promise<void>;
}

/** One HTTP GET. */
export interface HttpRequest {
  readonly url: string;
  /** Header names in lower case, e.g. `{ range: 'bytes=1024-' }`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Status and headers of an HTTP answer; the body went to the sink. */
export interface HttpResult {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Receives a response body chunk by chunk, in order. */
export interface HttpSink {
  /** Called before any body chunk with the status and headers. Throwing aborts the request. */
  onResponse?(result: HttpResult): MaybePromise<void>;
  /** One body chunk. The port waits for a returned promise before delivering the next chunk. */
  onChunk(chunk: Uint8Array): MaybePromise<void>;
}

/**
 * HTTP client. Streaming is required (images are larger than device RAM) and so is `Range`
 * (an interrupted download resumes from the bytes already written). The promise rejects when
 * the transfer breaks off; chunks delivered before that stay delivered.
 */
export interface HttpPort {
  get(request: HttpRequest, sink: HttpSink): Promise<HttpResult>;
}

/** What the device remembers about the image it booted and the one before. */
export interface BootInfo {
  /** Version running now (firmware) or loaded now (model); `undefined` before the first model. */
  readonly version: string | undefined;
  /** `pending`: booted (or loaded) for the first time and not confirmed yet. */
  readonly state: 'confirmed' | 'pending';
  /** Set once after an image was rolled back, until {@link SlotStore.clearRollbackNotice}. */
  readonly rolledBack?: { readonly version: string; readonly reason: string };
}

/** Identifies an image being written, so a partial write can be resumed only for the same bytes. */
export interface ImageTag {
  readonly version: string;
  readonly sha256: string;
  readonly size: number;
}

/**
 * Two slots (A/B) for one kind of image: firmware (ESP-IDF `ota_0`/`ota_1`) or ML model (two
 * data partitions). Writes always go to the inactive slot, so the running image is never touched.
 */
export interface SlotStore {
  /** Largest image the inactive slot can hold, in bytes. */
  capacityBytes(): MaybePromise<number>;
  /** What is active now, whether it is confirmed, and any rollback to report. */
  bootInfo(): MaybePromise<BootInfo>;
  /**
   * Opens the inactive slot for `tag`. Returns how many bytes of this same image are already
   * there (a resumed download), or 0 after erasing the slot for a different image.
   */
  beginWrite(tag: ImageTag): MaybePromise<{ writtenBytes: number }>;
  /** Appends bytes at the current end of the inactive slot. */
  write(chunk: Uint8Array): MaybePromise<void>;
  /** Reads back bytes of the inactive slot (to re-hash a resumed image). */
  read(offset: number, byteLength: number): MaybePromise<Uint8Array>;
  /** Forgets a partial or rejected image in the inactive slot. */
  discard(): MaybePromise<void>;
  /**
   * Marks the completely written inactive slot as the next image, in `pending` state. For
   * firmware the next boot runs it; for models the next {@link SlotStore.activate} loads it.
   */
  setPending(tag: ImageTag): MaybePromise<void>;
  /** Switches to the pending image: reboots (firmware) or reloads the model (models). */
  activate(): MaybePromise<void>;
  /** Keeps the running pending image for good (ESP-IDF `esp_ota_mark_app_valid_cancel_rollback`). */
  confirm(): MaybePromise<void>;
  /** Returns to the previous image and remembers why (reported once after the switch). */
  rollback(reason: string): MaybePromise<void>;
  /** Clears the rollback notice after it was reported. */
  clearRollbackNotice(): MaybePromise<void>;
}

/** Wall-clock and timers. Time comes from SNTP on the device and from the OS on the host. */
export interface ClockPort {
  /** Milliseconds since the Unix epoch (only meaningful once {@link ClockPort.synced}). */
  nowMs(): number;
  /** Whether wall-clock time is known (SNTP answered). */
  synced(): boolean;
  /** Asks SNTP for the time; resolves when synced, rejects when it gave up. */
  sync(): Promise<void>;
  /** Runs `fn` after `delayMs`; returns a handle for {@link ClockPort.cancel}. */
  schedule(delayMs: number, fn: () => void): unknown;
  /** Cancels a scheduled call. */
  cancel(handle: unknown): void;
}

/** Sensor readings by name, e.g. `{ temperature: 26.7, humidity: 61.2 }`. */
export type SensorReadings = Readonly<Record<string, number>>;

/** The device's sensors. */
export interface SensorsPort {
  read(): MaybePromise<SensorReadings>;
}

/** Random bytes from a cryptographic source (ESP32 hardware RNG, `crypto.getRandomValues`). */
export interface RandomPort {
  bytes(count: number): Uint8Array;
}

/** Incremental SHA-256. */
export interface Sha256 {
  update(chunk: Uint8Array): void;
  /** The 32-byte digest; the hasher must not be used afterwards. */
  digest(): Uint8Array;
}

/** Cryptographic primitives the OTA client needs. */
export interface CryptoPort {
  createSha256(): Sha256;
  /** Ed25519 (RFC 8032) verification of `signature` over `message` with a raw 32-byte public key. */
  verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): MaybePromise<boolean>;
}

/** Result of one inference, shaped like the `inference.raw` Avro record. */
export interface InferenceResult {
  /** Top class, e.g. `"person"`. */
  readonly label?: string;
  /** Confidence of `label` (0..1). */
  readonly confidence: number;
  /** Score per class. */
  readonly scores?: Readonly<Record<string, number>>;
  /** Anything else the model returns; published as `result_json` text. */
  readonly result?: Readonly<Record<string, unknown>>;
}

/** Runs the ML model in the active model slot. */
export interface InferencePort {
  /** Loads (or reloads) the model currently active in the model slot store. */
  load(version: string): MaybePromise<void>;
  /** Runs the loaded model on one sample. */
  run(sample: SensorReadings): MaybePromise<InferenceResult>;
}

/** Everything {@link createDevice} needs from its platform. */
export interface DevicePorts {
  readonly mqtt: MqttPort;
  readonly http: HttpPort;
  readonly clock: ClockPort;
  readonly sensors: SensorsPort;
  readonly random: RandomPort;
  readonly crypto: CryptoPort;
  /** Firmware slots (ota_0 / ota_1). */
  readonly firmwareSlots: SlotStore;
  /** ML model slots; without them (and {@link DevicePorts.inference}) model updates are off. */
  readonly modelSlots?: SlotStore;
  readonly inference?: InferencePort;
  /**
   * Checks run on the first boot of a new firmware before it is confirmed; throws (or rejects)
   * when the image is not good. The device adds its own check: MQTT must connect.
   */
  readonly selfTest?: () => MaybePromise<void>;
  /** Diagnostic output (Moddable `trace`, `console.log`). */
  readonly log?: (line: string) => void;
}
