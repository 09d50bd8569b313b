// Host (Node) adapters of the device ports, for the simulator. Import them from
// `@zenthos/firmware-common/host`; device code never imports this folder.
export { createMqttJsPort, type MqttJsSettings } from './mqtt-js';
export { createFetchHttpPort } from './fetch-http';
export { createFileSlotStore } from './file-slot-store';
export { createNodeClock, createNodeCrypto, createNodeRandom } from './node-ports';
