// ECMA-419 MQTT client as implemented by the Moddable SDK
// (examples/io/tcp/mqttclient/mqttclient.js, exposed as `embedded:network/mqtt/client`).
// Unlike the older `mqtt` module (QoS 0 only), it sends QoS 1 and reports PUBACK by packet id.
declare module 'embedded:network/mqtt/client' {
  export interface ControlMessage {
    readonly operation: number;
    /** Packet identifier of PUBACK / SUBACK / UNSUBACK. */
    readonly id?: number;
    /** CONNACK return code. */
    readonly returnCode?: number;
  }

  export interface ReadableOptions {
    readonly topic?: string;
    readonly QoS?: number;
    readonly byteLength?: number;
    /** More fragments of this message follow. */
    readonly more: boolean;
  }

  export interface MQTTClientOptions {
    host: string;
    port?: number;
    id?: string;
    user?: string;
    password?: string | ArrayBuffer;
    clean?: boolean;
    /** Milliseconds. */
    keepalive?: number;
    will?: { topic: string; message: ArrayBuffer; QoS?: number; retain?: boolean | number };
    dns: unknown;
    socket: unknown;
    onControl?(this: MQTTClient, message: ControlMessage): void;
    onReadable?(this: MQTTClient, count: number, options: ReadableOptions): void;
    onWritable?(this: MQTTClient, count: number): void;
    onClose?(this: MQTTClient): void;
    onError?(this: MQTTClient, error?: unknown): void;
  }

  export interface WriteOptions {
    /** Default PUBLISH. */
    operation?: number;
    /** Packet identifier; the client picks one when omitted. */
    id?: number;
    topic?: string;
    QoS?: number;
    retain?: boolean;
    duplicate?: boolean;
    byteLength?: number;
    items?: { topic: string; QoS?: number }[];
  }

  export default class MQTTClient {
    constructor(options: MQTTClientOptions);
    /** Queues a packet; throws when it does not fit the socket's writable space ("overflow"). */
    write(data: ArrayBuffer | null, options?: WriteOptions): number;
    read(count: number): ArrayBuffer;
    close(): void;
    static readonly CONNECT: 1;
    static readonly CONNACK: 2;
    static readonly PUBLISH: 3;
    static readonly PUBACK: 4;
    static readonly PUBREC: 5;
    static readonly PUBREL: 6;
    static readonly PUBCOMP: 7;
    static readonly SUBSCRIBE: 8;
    static readonly SUBACK: 9;
    static readonly UNSUBSCRIBE: 10;
    static readonly UNSUBACK: 11;
    static readonly PINGREQ: 12;
    static readonly PINGRESP: 13;
    static readonly DISCONNECT: 14;
  }
}
