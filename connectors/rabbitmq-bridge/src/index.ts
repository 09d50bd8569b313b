// Public API of @zenthos/rabbitmq-bridge: the Kafka → RabbitMQ bridge and the alerts worker.
export { bridgeConfigShape, alertsConfigShape, loadBridgeConfig, loadAlertsConfig, type BridgeConfig, type AlertsConfig } from './config';
export { rabbitErrorCodes } from './errors';
export { rabbitTopology, type RabbitTopology, type QueueSpec } from './domain/topology';
export {
  bridgedKinds,
  toEnvelope,
  parseEnvelope,
  routingKeyFor,
  routingSafe,
  enrichedTopicOf,
  kindOfEnrichedTopic,
  type Envelope,
  type BridgedKind,
} from './domain/envelope';
export {
  alertOps,
  alertSeverities,
  parseRule,
  parseWindowS,
  evaluateRules,
  alertEnvelope,
  alertIdOf,
  type AlertRule,
  type NewAlertRule,
  type Breach,
} from './domain/alert-rules';
export { openAmqpSession, declareTopology, deleteTopology, publishConfirmed, type AmqpSession } from './adapters/amqp';
export { createBridgeRunner, type BridgeRunner, type BridgeRunnerOptions, type BridgeInstruments } from './adapters/bridge-runner';
export { createAlertsStore, type AlertsStore } from './adapters/alerts-store';
export { startAlertsWorker, type AlertsWorker, type AlertsWorkerOptions } from './adapters/alerts-worker';
export { startBridge, startAlerts, runUntilSignal, type RunningService } from './main';
export { registerRabbitCommands } from './cli';
