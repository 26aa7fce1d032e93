/** Builds the kafkajs client from config: brokers, TLS, SASL, and kafkajs logs routed to pino. */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from '../log/logger.js';

export interface KafkaClientSettings {
  kafkaBrokers: string[];
  kafkaClientId: string;
  kafkaSsl: boolean;
  kafkaSslCa?: string | undefined;
  kafkaSaslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined;
  kafkaSaslUsername?: string | undefined;
  kafkaSaslPassword?: string | undefined;
}

const LEVEL_NAMES: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(settings: KafkaClientSettings, log: Logger, clientIdSuffix = ''): Kafka {
  const config: KafkaConfig = {
    clientId: `${settings.kafkaClientId}${clientIdSuffix}`,
    brokers: settings.kafkaBrokers,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const level = LEVEL_NAMES[entry.level] ?? 'info';
      const { message, ...rest } = entry.log;
      log[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
  if (settings.kafkaSsl) {
    config.ssl = settings.kafkaSslCa ? { ca: [readFileSync(settings.kafkaSslCa, 'utf8')] } : true;
  }
  if (settings.kafkaSaslMechanism) {
    config.sasl = {
      mechanism: settings.kafkaSaslMechanism,
      username: settings.kafkaSaslUsername ?? '',
      password: settings.kafkaSaslPassword ?? '',
    } as SASLOptions;
  }
  return new Kafka(config);
}
