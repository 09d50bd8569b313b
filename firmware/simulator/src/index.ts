// Public API of @zenthos/simulator: simulated devices over the firmware/common logic, the
// `zenthos sim` command, and the small OTA API client the demo and benchmarks reuse.
export { simConfigShape, loadSimConfig, type SimConfig } from './config';
export { simulatorErrorCodes } from './errors';
export { parseSimOptions, parseDurationMs, deviceIdsFor, type SimOptions, type RawSimOptions, type RegisterMode } from './domain/options';
export {
  addCounters,
  zeroCounters,
  formatProgress,
  ratePerSecond,
  summarize,
  type FleetCounters,
  type ProgressSample,
  type SimSummary,
} from './domain/progress';
export {
  createOtaApiClient,
  pemToBase64Der,
  type OtaApiClient,
  type OtaPublicKey,
  type DeviceCredentials,
  type OtaReportBody,
  type RolloutView,
} from './adapters/ota-api-client';
export { createRegistrar, mapLimited, type Registrar } from './adapters/registration';
export { createSimDevice, type SimDevice, type SimDeviceSettings } from './adapters/sim-device';
export { startSimulation, type Simulation, type SimulationDeps } from './main';
export { registerSimCommands } from './cli';
