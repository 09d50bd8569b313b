// Moddable SDK `crypt` module: native message digests.
declare module 'crypt' {
  export class Digest {
    constructor(type: 'SHA1' | 'SHA224' | 'SHA256' | 'SHA384' | 'SHA512');
    write(message: ArrayBuffer | string): void;
    close(): ArrayBuffer;
    reset(): void;
  }
}
