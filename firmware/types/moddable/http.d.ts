// Moddable SDK `http` module (modules/network/http): the streaming HTTP/1.1 client.
declare module 'http' {
  export interface RequestOptions {
    host?: string;
    address?: string;
    port?: number;
    path?: string;
    method?: string;
    /** Alternating names and values: `["Range", "bytes=1024-", ...]`. */
    headers?: (string | number)[];
    body?: boolean | string | ArrayBuffer;
    /** Omit to receive the body as `responseFragment` callbacks (streaming). */
    response?: typeof String | typeof ArrayBuffer;
    /** TLS: `SecureSocket` from `securesocket` plus its options. */
    Socket?: unknown;
    secure?: Readonly<Record<string, unknown>>;
  }

  export class Request {
    constructor(options: RequestOptions);
    close(): void;
    read(type: typeof ArrayBuffer, until?: number): ArrayBuffer;
    read(type: typeof String, until?: number): string;
    /**
     * `status` (value = HTTP status), `header` (value = lower-case name, etc = value),
     * `headersComplete`, `responseFragment` (value = bytes available), `responseComplete`,
     * `error` (negative).
     */
    callback: (this: Request, message: number, value?: unknown, etc?: unknown) => void;
    static readonly requestFragment: 0;
    static readonly status: 1;
    static readonly header: 2;
    static readonly headersComplete: 3;
    static readonly responseFragment: 4;
    static readonly responseComplete: 5;
    static readonly error: -2;
  }
}
