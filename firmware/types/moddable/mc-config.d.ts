// Moddable SDK `mc/config`: the manifest's "config" object, with `key=value` pairs given on the
// `mcconfig` command line merged in.
declare module 'mc/config' {
  const config: Readonly<Record<string, unknown>>;
  export default config;
}
