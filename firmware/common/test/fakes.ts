// In-memory implementations of the device's own ports for unit tests, plus a release builder that
// signs with real ed25519 keys from node:crypto (tests may use Node; the device code may not).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../src/domain/canonical-json';
import type { ReleaseManifest, ReleaseMetadata } from '../src/domain/manifest';
import type { ClockPort, HttpPort, HttpRequest, HttpResult, HttpSink, MqttEvents, MqttPort, RandomPort } from '../src/domain/ports';
import type { ReleaseKind } from '../src/domain/version';

/** Lets promise callbacks and queued macrotasks run. */
export const flush = async (rounds = 5): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** A clock whose timers fire only when the test advances it. */
export interface ManualClock extends ClockPort {
  now: number;
  isSynced: boolean;
  /** Moves time forward, firing due timers in order and letting promises settle in between. */
  advance(ms: number): Promise<void>;
  pendingTimers(): number;
}

export const createManualClock = (startMs = Date.UTC(2026, 10, 30, 12, 0, 0)): ManualClock => {
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: ManualClock = {
    now: startMs,
    isSynced: true,
    nowMs: () => clock.now,
    synced: () => clock.isSynced,
    sync: async () => {
      clock.isSynced = true;
    },
    schedule(delayMs, fn) {
      const id = ++seq;
      timers.set(id, { at: clock.now + delayMs, fn });
      return id;
    },
    cancel(handle) {
      timers.delete(handle as number);
    },
    async advance(ms) {
      const target = clock.now + ms;
      await flush();
      for (;;) {
        let due: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of timers)
          if (entry[1].at <= target && (!due || entry[1].at < due[1].at || (entry[1].at === due[1].at && entry[0] < due[0]))) due = entry;
        if (!due) break;
        timers.delete(due[0]);
        clock.now = Math.max(clock.now, due[1].at);
        due[1].fn();
        await flush();
      }
      clock.now = target;
    },
    pendingTimers: () => timers.size,
  };
  return clock;
};

/** A clock whose timers fire on the next macrotask whatever the delay; records the delays asked. */
export const createInstantClock = (nowMs = Date.UTC(2026, 10, 30, 12, 0, 0)): ClockPort & { delays: number[] } => {
  const delays: number[] = [];
  return {
    delays,
    nowMs: () => nowMs,
    synced: () => true,
    sync: async () => undefined,
    schedule(delayMs, fn) {
      delays.push(delayMs);
      return setImmediate(fn);
    },
    cancel(handle) {
      clearImmediate(handle as NodeJS.Immediate);
    },
  };
};

/** Deterministic "random" bytes: a counter, so UUIDs differ and tests stay repeatable. */
export const createCountingRandom = (): RandomPort => {
  let n = 0;
  return {
    bytes(count) {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = (n * 131 + i * 17 + 3) & 0xff;
      // The counter itself in the last four bytes keeps every draw distinct.
      for (let i = 0; i < 4 && i < count; i++) out[count - 1 - i] = (n >>> (8 * i)) & 0xff;
      n++;
      return out;
    },
  };
};

/** A broker connection the test drives: connect, drop, and acknowledge or fail publishes. */
export interface FakeMqtt extends MqttPort {
  events: MqttEvents | undefined;
  /** Every publish call, in order. */
  published: { topic: string; payload: Uint8Array; ack: () => void; fail: (err?: Error) => void }[];
  subscriptions: string[];
  /** Acknowledge publishes automatically (default true). */
  autoAck: boolean;
  connect(): void;
  drop(): void;
  deliver(topic: string, payload: unknown): void;
  /** Payloads of acknowledged-or-pending publishes on a topic, parsed as JSON. */
  json(topicSuffix: string): Record<string, unknown>[];
}

export const createFakeMqtt = (): FakeMqtt => {
  const pendingRejects = new Set<(err: Error) => void>();
  const mqtt: FakeMqtt = {
    events: undefined,
    published: [],
    subscriptions: [],
    autoAck: true,
    start(events) {
      mqtt.events = events;
    },
    stop() {
      mqtt.events = undefined;
    },
    publish(topic, payload) {
      return new Promise<void>((resolve, reject) => {
        const fail = (err: Error = new Error('connection lost')): void => {
          pendingRejects.delete(fail);
          reject(err);
        };
        pendingRejects.add(fail);
        const ack = (): void => {
          pendingRejects.delete(fail);
          resolve();
        };
        mqtt.published.push({ topic, payload, ack, fail });
        if (mqtt.autoAck) queueMicrotask(ack);
      });
    },
    async subscribe(topic) {
      mqtt.subscriptions.push(topic);
    },
    connect() {
      mqtt.events?.onConnected();
    },
    drop() {
      for (const fail of [...pendingRejects]) fail(new Error('connection lost'));
      mqtt.events?.onDisconnected('test drop');
    },
    deliver(topic, payload) {
      mqtt.events?.onMessage(topic, new Uint8Array(Buffer.from(JSON.stringify(payload))));
    },
    json(topicSuffix) {
      return mqtt.published
        .filter((p) => p.topic.endsWith(topicSuffix))
        .map((p) => JSON.parse(Buffer.from(p.payload).toString('utf8')) as Record<string, unknown>);
    },
  };
  return mqtt;
};

/** Test key pair with its id and the base64 public key the firmware would have built in. */
export interface TestKey {
  keyId: string;
  privateKey: KeyObject;
  publicKeyBase64: string;
}

export const createTestKey = (keyId: string, format: 'raw' | 'spki' = 'raw'): TestKey => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { keyId, privateKey, publicKeyBase64: (format === 'raw' ? der.subarray(12) : der).toString('base64') };
};

/** Options of {@link buildRelease}; defaults make a valid esp32-s3 firmware v1.1.0 release. */
export interface ReleaseOptions {
  key: TestKey;
  kind?: ReleaseKind;
  deviceModel?: string;
  version?: string;
  image?: Uint8Array;
  createdAt?: string;
  expiresAt?: string;
  /** Key id written into the manifest (defaults to the signing key's id). */
  keyId?: string;
  /** Edits applied to the metadata after signing (to tamper with it). */
  afterSign?: (meta: { -readonly [K in keyof ReleaseMetadata]: ReleaseMetadata[K] }) => void;
}

export const imageOf = (size: number, seed = 1): Uint8Array =>
  Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);

/** Builds release metadata the way the OTA API signs it: ed25519 over canonicalJson(manifest). */
export const buildRelease = (options: ReleaseOptions): { meta: ReleaseMetadata; image: Uint8Array } => {
  const kind = options.kind ?? 'firmware';
  const image = options.image ?? imageOf(10_000);
  const version = options.version ?? (kind === 'firmware' ? 'v1.1.0' : 'm-20261130-abc123');
  const deviceModel = options.deviceModel ?? 'esp32-s3';
  const sha256 = createHash('sha256').update(image).digest('hex');
  const manifest: ReleaseManifest = {
    device_model: deviceModel,
    kind,
    version,
    size: image.length,
    sha256,
    key_id: options.keyId ?? options.key.keyId,
    created_at: options.createdAt ?? '2026-11-29T10:00:00Z',
    expires_at: options.expiresAt ?? '2027-11-29T10:00:00Z',
  };
  const signature = sign(null, Buffer.from(canonicalJson(manifest), 'utf8'), options.key.privateKey).toString('base64');
  const meta = {
    device_model: deviceModel,
    version,
    binary_url: `/${kind === 'firmware' ? 'firmware' : 'models'}/${deviceModel}/${version}?download=true`,
    sha256,
    signature,
    size: image.length,
    key_id: manifest.key_id,
    manifest: { ...manifest },
  };
  options.afterSign?.(meta);
  return { meta, image };
};

/** Fault injection for {@link createFakeOtaServer}. */
export interface ServerFaults {
  /** Break the next N binary transfers after this many bytes of each response. */
  breakAfterBytes?: number;
  breakTimes?: number;
  /** Answer binary requests with 200 and the whole body, ignoring Range. */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the signed image. */
  servedImage?: Uint8Array;
  /** Status for the metadata route (e.g. 404, 503). */
  metadataStatus?: number;
}

/** An OTA API stand-in implementing the device's {@link HttpPort}. */
export interface FakeOtaServer extends HttpPort {
  requests: HttpRequest[];
  release: { meta: ReleaseMetadata; image: Uint8Array } | undefined;
  faults: ServerFaults;
  chunkBytes: number;
  /** Range headers of binary requests, in order (`undefined` = no Range). */
  binaryRanges(): (string | undefined)[];
}

export const createFakeOtaServer = (release?: { meta: ReleaseMetadata; image: Uint8Array }): FakeOtaServer => {
  const server: FakeOtaServer = {
    requests: [],
    release,
    faults: {},
    chunkBytes: 1024,
    binaryRanges: () => server.requests.filter((r) => r.url.includes('download=true')).map((r) => r.headers?.range),
    async get(request: HttpRequest, sink: HttpSink): Promise<HttpResult> {
      server.requests.push(request);
      const url = new URL(request.url);
      if (url.searchParams.get('download') !== 'true') {
        const status = server.faults.metadataStatus ?? (server.release ? 200 : 404);
        const result: HttpResult = { status, headers: { 'content-type': 'application/json' } };
        await sink.onResponse?.(result);
        if (status === 200 && server.release) await sink.onChunk(new Uint8Array(Buffer.from(JSON.stringify(server.release.meta))));
        return result;
      }
      const body = server.faults.servedImage ?? server.release!.image;
      const match = /^bytes=(\d+)-$/.exec(request.headers?.range ?? '');
      const start = match && !server.faults.ignoreRange ? Number(match[1]) : 0;
      if (start > 0 && start >= body.length) {
        const unsatisfiable: HttpResult = { status: 416, headers: { 'content-range': `bytes */${body.length}` } };
        await sink.onResponse?.(unsatisfiable);
        return unsatisfiable;
      }
      const result: HttpResult =
        start > 0
          ? { status: 206, headers: { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } }
          : { status: 200, headers: { 'content-length': String(body.length) } };
      await sink.onResponse?.(result);
      const breakAt = (server.faults.breakTimes ?? 0) > 0 ? server.faults.breakAfterBytes : undefined;
      let sent = 0;
      for (let off = start; off < body.length; off += server.chunkBytes) {
        let chunk = body.subarray(off, Math.min(body.length, off + server.chunkBytes));
        if (breakAt !== undefined && sent + chunk.length > breakAt) {
          chunk = chunk.subarray(0, breakAt - sent);
          if (chunk.length > 0) await sink.onChunk(chunk.slice());
          server.faults.breakTimes! -= 1;
          throw new Error('socket hang up');
        }
        await sink.onChunk(chunk.slice());
        sent += chunk.length;
      }
      return result;
    },
  };
  return server;
};
