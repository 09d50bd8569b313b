// Moddable SDK `flash` module (ESP32): a partition by name. "running" and "nextota" are the app
// partitions; other names are data partitions of partitions.csv.
declare module 'flash' {
  export default class Flash {
    constructor(partition: string);
    readonly byteLength: number;
    readonly blockSize: number;
    erase(sector: number): void;
    read(offset: number, byteLength: number): ArrayBuffer;
    write(offset: number, byteLength: number, buffer: ArrayBuffer): void;
  }
}
