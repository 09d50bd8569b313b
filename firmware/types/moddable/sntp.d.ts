// Moddable SDK `sntp` module.
declare module 'sntp' {
  export default class SNTP {
    /** Callback `message`: SNTP.time (value = epoch seconds), SNTP.retry, SNTP.error. */
    constructor(options: { host: string | string[] }, callback: (this: SNTP, message: number, value?: number) => void);
    close(): void;
    static readonly time: 1;
    static readonly retry: 2;
    static readonly error: -1;
  }
}
