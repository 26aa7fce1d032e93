/** Builds the kafkajs client from config: brokers, TLS, SASL, and kafkajs logs routed to pino. */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type SASLOptions } from 'kafkajs';
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

const RETRIED_NOISE = /another concurrent operation on the same transaction|CONCURRENT_TRANSACTIONS|group coordinator is not available|coordinator is loading|not the correct coordinator|There is no leader for this topic-partition/i;

/** `socketFactory` lets fault tests cut the client's connections (test/helpers/fault-proxy.ts). */
export function createKafka(settings: KafkaClientSettings, log: Logger, clientIdSuffix = '', options: { socketFactory?: ISocketFactory } = {}): Kafka {
  const config: KafkaConfig = {
    clientId: `${settings.kafkaClientId}${clientIdSuffix}`,
    brokers: settings.kafkaBrokers,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
    // ERROR and WARN reach the logCreator, which demotes kafkajs's own retried noise.
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      // kafkajs logs errors it retries by itself at ERROR (CONCURRENT_TRANSACTIONS after every
      // commit, kafkajs#1315; coordinator moves): operators would learn to ignore ERROR. They are
      // debug here; a failure that survives the retries surfaces as our own error log.
      const retried = RETRIED_NOISE.test(`${message} ${String((rest as { error?: unknown }).error ?? '')}`);
      const level = retried ? 'debug' : (LEVEL_NAMES[entry.level] ?? 'info');
      log[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
  if (options.socketFactory) config.socketFactory = options.socketFactory;
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
