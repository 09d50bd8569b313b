export { createTcpProxy, type TcpProxy } from './tcp-proxy';
export { startRegistryStub, ensureSchemaRegistry, type RegistryStub } from './registry-stub';
