import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { context, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import { isZenthosError, ZenthosError, type Logger } from '@zenthos/core';
import { extractTraceContext, spanNames } from '@zenthos/telemetry';
import type { RefusalReason } from '../errors';
import {
  authorizePublishTopic,
  authorizeSubscribeFilter,
  authorizeWillTopic,
  type DeviceIdentity,
  type MessageKind,
  type PublishDecision,
} from '../domain/topics';
import type { DeviceAuthenticator } from './device-auth';
import type { IngestPipeline } from './kafka-ingest';
import type { BridgeMetrics } from './metrics';
import { createGuardedMqttStream, type DevicePublish, type GuardedMqttStream } from './mqtt-stream';

/** TLS listener settings: PEM texts. With `clientCa`, clients must present a certificate (mTLS). */
export interface TlsSettings {
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  readonly clientCa?: string | undefined;
}

/** Settings of {@link createAedesBroker}. */
export interface AedesBrokerSettings {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsSettings | undefined;
  readonly mqttRoot: string;
  readonly maxPacketBytes: number;
  readonly connectTimeoutMs: number;
  readonly revocationCheckMs: number;
  /** Extra aedes options (persistence and mq for Redis scale-out). */
  readonly aedes?: Pick<AedesOptions, 'persistence' | 'mq' | 'id'>;
}

/** Dependencies of {@link createAedesBroker}. */
export interface AedesBrokerDeps {
  readonly auth: DeviceAuthenticator;
  readonly pipeline: IngestPipeline;
  readonly metrics: BridgeMetrics;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /**
   * Whether the bridge exports spans (an OTLP traces endpoint is configured; default true).
   * When it does not, a publish without a device `traceparent` gets no `mqtt.receive` span and
   * its record no trace headers (see {@link IngestPipelineDeps.spansExported}).
   */
  readonly spansExported?: boolean;
  readonly now?: () => number;
}

/** The running broker. */
export interface AedesBroker {
  readonly aedes: Aedes;
  /** Bound ports (useful with port 0). */
  readonly port: number;
  readonly tlsPort: number | undefined;
  /** Devices connected right now. */
  connectedDevices(): number;
  close(): Promise<void>;
}

interface Session {
  readonly identity: DeviceIdentity;
  /** The credential to check again for revocation; undefined for certificate logins. */
  readonly credentialId: string | undefined;
  /** When the token expires (epoch ms); a live session is closed then. */
  readonly expiresAtMs: number | undefined;
}

// CONNACK return codes (MQTT 3.1.1 §3.2.2.3).
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
const SERVER_UNAVAILABLE = 3;

class ConnectRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly returnCode: number,
  ) {
    super(reason);
  }
}

const credentialReason = (err: unknown): ConnectRefused | undefined => {
  if (isZenthosError(err, 'ZEN_DEVICE_TOKEN_INVALID')) return new ConnectRefused('bad_credentials', BAD_USERNAME_OR_PASSWORD);
  if (isZenthosError(err, 'ZEN_DEVICE_TOKEN_EXPIRED')) return new ConnectRefused('token_expired', BAD_USERNAME_OR_PASSWORD);
  if (isZenthosError(err, 'ZEN_DEVICE_REVOKED')) return new ConnectRefused('device_revoked', NOT_AUTHORIZED);
  if (isZenthosError(err, 'ZEN_UNKNOWN_DEVICE')) return new ConnectRefused('unknown_device', NOT_AUTHORIZED);
  return undefined;
};

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * Aedes in-process with the bridge's rules (DESIGN.md, MQTT):
 * - CONNECT: username = device id, password = device token (or, over mTLS, the certificate CN
 *   is the device id); client id must be the device id; a Will must stay in the device's space.
 * - PUBLISH: ACL, then the ingest pipeline; a QoS 1 PUBACK leaves only after Kafka has the
 *   record (MQTT 3.1.1 §4.3.2: the receiver acknowledges once it owns the message). Once the
 *   session is ready, QoS 0/1 publishes are taken by the connection's stream (its
 *   `publishHandler`, which writes the PUBACK and stops reading the socket while any is
 *   pending); before that, and for QoS 2, the pipeline runs inside aedes' `authorizePublish`,
 *   which aedes awaits before it writes the PUBACK (aedes lib/handlers/publish.js) and before
 *   it reads the socket's next chunk. Either way waiting for Kafka is per-socket backpressure.
 * - SUBSCRIBE: only the device's own OTA topic; anything else gets SUBACK failure.
 * - Live sessions are re-checked every `revocationCheckMs`; a revoked or expired device is
 *   disconnected.
 */
export async function createAedesBroker(settings: AedesBrokerSettings, deps: AedesBrokerDeps): Promise<AedesBroker> {
  const { auth, pipeline, metrics, logger, tracer } = deps;
  const now = deps.now ?? Date.now;
  const spansExported = deps.spansExported ?? true;
  const sessions = new WeakMap<Client, Session>();
  const wills = new WeakMap<Client, string | undefined>();
  const live = new Set<Client>();

  const refuse = (reason: RefusalReason, client: Client | null, detail?: string): void => {
    metrics.refused({ reason });
    logger.info({ reason, client_id: client?.id, detail }, 'mqtt refused');
  };

  /**
   * One device publish (topic already authorized) through the pipeline: `mqtt.receive` span,
   * continuing the device's trace when it sent a `traceparent` MQTT 5 user property; `done`
   * runs once Kafka has the record, or with the error (the caller then sends no PUBACK and
   * closes).
   */
  const ingest = (client: Client, session: Session, kind: MessageKind, publish: DevicePublish, done: (err?: Error) => void): void => {
    const msg = { topic: publish.topic, payload: publish.payload, identity: session.identity, receivedAtMs: now(), kind };
    if (!spansExported && publish.userProperties === undefined) {
      // No span would be exported and the device sent no trace to continue: no trace id is
      // made up for the record (see IngestPipelineDeps.spansExported).
      pipeline.submit(msg, undefined, (err) => {
        if (err) logger.warn({ err, client_id: client.id, topic: publish.topic }, 'kafka did not take the message; no PUBACK');
        done(err);
      });
      return;
    }
    const parent = extractTraceContext(publish.userProperties, context.active());
    const span = tracer.startSpan(
      spanNames.mqttReceive,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'mqtt', 'messaging.destination.name': publish.topic, 'zenthos.mqtt.qos': publish.qos },
      },
      parent,
    );
    pipeline.submit(msg, trace.setSpan(parent, span), (err) => {
      span.end();
      if (err) logger.warn({ err, client_id: client.id, topic: publish.topic }, 'kafka did not take the message; no PUBACK');
      done(err);
    });
  };

  const aedes = await Aedes.createBroker({
    ...settings.aedes,
    connectTimeout: settings.connectTimeoutMs,

    preConnect(client, packet, callback) {
      wills.set(client, packet.will?.topic);
      callback(null, true);
    },

    authenticate(client, username, password, callback) {
      const stream = client.conn as GuardedMqttStream;
      const cn = stream.peerCommonName;
      void (async (): Promise<Session> => {
        let session: Session;
        if (password !== undefined && password.length > 0) {
          const device = await auth.verifyToken(password.toString('utf8'));
          session = { identity: device.identity, credentialId: device.credentialId, expiresAtMs: device.expiresAtMs };
          if (cn !== undefined && cn !== session.identity.deviceId) throw new ConnectRefused('certificate_mismatch', NOT_AUTHORIZED);
          if (username !== session.identity.deviceId) throw new ConnectRefused('username_mismatch', BAD_USERNAME_OR_PASSWORD);
        } else if (cn !== undefined) {
          session = { identity: await auth.deviceById(cn), credentialId: undefined, expiresAtMs: undefined };
          if (username !== undefined && username !== cn) throw new ConnectRefused('username_mismatch', BAD_USERNAME_OR_PASSWORD);
        } else {
          throw new ConnectRefused('bad_credentials', BAD_USERNAME_OR_PASSWORD);
        }
        // DESIGN.md: the client id is the device id, so one device cannot take over another's session.
        if (client.id !== session.identity.deviceId) throw new ConnectRefused('client_id_mismatch', NOT_AUTHORIZED);
        const will = wills.get(client);
        if (will !== undefined && !authorizeWillTopic(session.identity, will, settings.mqttRoot).allowed) {
          throw new ConnectRefused('will_not_allowed', NOT_AUTHORIZED);
        }
        return session;
      })().then(
        (session) => {
          sessions.set(client, session);
          callback(null, true);
        },
        (err: unknown) => {
          const refused = err instanceof ConnectRefused ? err : credentialReason(err);
          if (refused) {
            refuse(refused.reason, client);
            callback(Object.assign(new Error(refused.reason), { returnCode: refused.returnCode }), false);
          } else {
            logger.error({ err, client_id: client.id }, 'device registry unavailable');
            callback(Object.assign(new Error('registry unavailable'), { returnCode: SERVER_UNAVAILABLE }), false);
          }
        },
      );
    },

    // The device publishes aedes still sees: QoS 2, and any sent before the session was ready
    // (the stream takes QoS 0/1 itself from then on; see ingest below).
    authorizePublish(client, packet, callback) {
      // Publishes from inside the platform (no client) need no device rules.
      if (!client) return callback(null);
      const session = sessions.get(client);
      if (!session) return callback(new ZenthosError('ZEN_MQTT_NOT_AUTHORIZED', 'not authenticated'));
      const decision = authorizePublishTopic(session.identity, packet.topic, settings.mqttRoot);
      if (!decision.allowed) {
        refuse(decision.reason, client, packet.topic);
        // MQTT 3.1.1 has no negative PUBACK: the connection is closed (aedes does it on error).
        return callback(new ZenthosError('ZEN_MQTT_NOT_AUTHORIZED', `${decision.reason}: ${packet.topic}`));
      }
      // Device messages are for the platform, not for other MQTT subscribers: never retained.
      packet.retain = false;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const userProperties = (client.conn as GuardedMqttStream).takeUserProperties(packet.messageId);
      ingest(client, session, decision.kind, { topic: packet.topic, qos: packet.qos, payload, userProperties }, (err) =>
        callback(err ?? null),
      );
    },

    authorizeSubscribe(client, sub, callback) {
      const session = sessions.get(client);
      const decision = session
        ? authorizeSubscribeFilter(session.identity, sub.topic, settings.mqttRoot)
        : ({ allowed: false, reason: 'bad_credentials' } as const);
      if (!decision.allowed) {
        refuse(decision.reason, client, sub.topic);
        return callback(null, null);
      }
      callback(null, sub);
    },
  });

  aedes.on('clientReady', (client) => {
    const session = sessions.get(client);
    if (!session) return;
    live.add(client);
    metrics.connected(1);
    // From here (CONNACK sent) the stream takes the device's QoS 0/1 publishes (and, for MQTT 5,
    // answers refused QoS 1/2 ones with a reason code).
    // A device publishes to the same few topics over and over: the last allowed one is
    // remembered, so its publishes skip splitting and parsing the topic (refusals are counted
    // every time).
    let lastTopic: string | undefined;
    let lastAllowed: PublishDecision | undefined;
    (client.conn as GuardedMqttStream).publishHandler = {
      authorize(topic) {
        if (topic === lastTopic) return lastAllowed as PublishDecision;
        const decision = authorizePublishTopic(session.identity, topic, settings.mqttRoot);
        if (!decision.allowed) refuse(decision.reason, client, topic);
        else {
          lastTopic = topic;
          lastAllowed = decision;
        }
        return decision;
      },
      handle: (publish, kind, done) => ingest(client, session, kind, publish, done),
    };
  });
  aedes.on('clientDisconnect', (client) => {
    if (live.delete(client)) metrics.connected(-1);
  });
  aedes.on('clientError', (client, err) => logger.debug({ client_id: client.id, err: err.message }, 'mqtt client error'));
  aedes.on('connectionError', (_client, err) => logger.debug({ err: err.message }, 'mqtt connection error'));

  const accept = (socket: Socket, peerCommonName?: string): void => {
    const stream = createGuardedMqttStream(socket, {
      maxPacketBytes: settings.maxPacketBytes,
      onViolation: (reason, message) => refuse(reason, null, message),
    });
    stream.peerCommonName = peerCommonName;
    socket.setNoDelay(true);
    aedes.handle(stream);
  };

  const tcp = createTcpServer((socket) => accept(socket));
  const port = await listen(tcp, settings.port, settings.host);
  let tls: Server | undefined;
  let tlsPort: number | undefined;
  if (settings.tls) {
    const mtls = settings.tls.clientCa !== undefined;
    tls = createTlsServer(
      { cert: settings.tls.cert, key: settings.tls.key, ca: settings.tls.clientCa, requestCert: mtls, rejectUnauthorized: mtls },
      (socket: TLSSocket) => {
        const cn = mtls ? socket.getPeerCertificate().subject?.CN : undefined;
        accept(socket, typeof cn === 'string' ? cn : undefined);
      },
    );
    tlsPort = await listen(tls, settings.tls.port, settings.host);
  }

  // Revocation and expiry reach live connections: on a timer, expired tokens are closed by the
  // clock and every live session's device and credential are checked in one batched query.
  let checking = false;
  const recheckSessions = async (): Promise<void> => {
    const current = [...live].flatMap((client) => {
      const session = sessions.get(client);
      return session ? [{ client, session }] : [];
    });
    const close = (client: Client, reason: RefusalReason): void => {
      refuse(reason, client, 'live session');
      if (live.delete(client)) metrics.connected(-1);
      client.close();
    };
    const t = now();
    for (const { client, session } of current)
      if (session.expiresAtMs !== undefined && session.expiresAtMs <= t) close(client, 'token_expired');
    const revoked = await auth.revokedAmong(
      current.map(({ session }) => ({ deviceId: session.identity.deviceId, credentialId: session.credentialId })),
    );
    for (const { client, session } of current)
      if (revoked.has(session.identity.deviceId) && !client.closed) close(client, 'device_revoked');
  };
  const recheck = setInterval(() => {
    if (checking || live.size === 0) return;
    checking = true;
    recheckSessions()
      .catch((err: unknown) => logger.warn({ err }, 'device registry unavailable; live sessions are checked again later'))
      .finally(() => {
        checking = false;
      });
  }, settings.revocationCheckMs);
  recheck.unref();

  return {
    aedes,
    port,
    tlsPort,
    connectedDevices: () => live.size,
    async close() {
      clearInterval(recheck);
      const closing = [closeServer(tcp), ...(tls ? [closeServer(tls)] : [])];
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(closing);
    },
  };
}
