export * from './port';
export { createRdkafkaProducer, createRdkafkaConsumer, type RdkafkaProperties, type RdkafkaProducerOptions } from './adapters/rdkafka';
export { installRequestQueueFix } from './adapters/kafkajs-request-queue';
export { createKafkajs, createKafkajsProducer, ensureTopics, readTopic, type TopicSpec } from './adapters/kafkajs';
export * from './transactions';
export { createRdkafkaTransactionalPipe, type TransactionalPipeSettings } from './adapters/rdkafka-transactional';
export { collectBatch, type CollectBatchOptions } from './batch';
