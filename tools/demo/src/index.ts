// Public API of @zenthos/demo: the platform launcher (every service as a child process, waited
// for on /ready), the RabbitMQ helpers, and `zenthos demo`.
export { demoConfigShape, loadDemoConfig, type DemoConfig } from './config';
export { demoErrorCodes } from './errors';
export {
  serviceNames,
  defaultPorts,
  planServices,
  startWaves,
  type ServiceName,
  type ServiceSpec,
  type PlatformPorts,
  type PlatformNames,
} from './domain/services';
export { planRollout, parseStagePercents, demoVersions, type RolloutPlan } from './domain/rollout-plan';
export { projectRoot, freePort, portInUse, startService, runZenthos, tailOf, type ServiceProcess } from './adapters/service-process';
export { startPlatform, freePlatformPorts, deleteTopics, topicRecordCount, type Platform, type PlatformOptions } from './adapters/platform';
export { deleteRedisKeys } from './adapters/redis';
export { openEnvelopeTap, drainQueue, deleteRabbitObjects, type EnvelopeTap, type Envelope } from './adapters/rabbit';
export { runDemo, telemetryCount, type DemoOptions, type DemoSummary, type DemoIo } from './main';
export { registerDemoCommands } from './cli';
