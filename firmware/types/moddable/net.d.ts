// Moddable SDK `net` and `wifi` modules (only what the apps read).
declare module 'net' {
  const Net: {
    get(property: 'IP' | 'MAC' | 'SSID'): string | undefined;
    get(property: 'RSSI'): number | undefined;
  };
  export default Net;
}
