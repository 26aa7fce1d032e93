/**
 * Every kafkajs client of every process is built here: brokers, TLS (always verified: kafkajs hands
 * `ssl` to tls.connect, whose rejectUnauthorized defaults to true), client certificates, SASL, and
 * kafkajs logs routed to pino.
 */
import { Kafka, logLevel, type ISocketFactory, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from '../log/logger.js';
import { assertKafkajsFixed } from './kafkajs-fix.js';
import { tlsMaterial } from './tls-material.js';

export interface KafkaClientSettings {
  kafkaBrokers: string[];
  kafkaClientId: string;
  kafkaSsl: boolean;
  kafkaSslCa?: string | undefined;
  kafkaSslCert?: string | undefined;
  kafkaSslKey?: string | undefined;
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

/**
 * kafkajs logs at ERROR what it retries by itself (CONCURRENT_TRANSACTIONS after every commit,
 * kafkajs#1315; coordinator moves; a new topic's metadata not yet on the broker) and what it hands
 * to our code as an exception that we report ourselves ("Topic creation errors" for topics that
 * already exist, on every start: clients/create-topics.ts raises anything else with the topic and
 * the reason). Operators would learn to ignore ERROR: these are debug. A failure that survives the
 * retries surfaces as our own error log.
 */
const HANDLED_NOISE = new RegExp(
  [
    'another concurrent operation on the same transaction',
    'CONCURRENT_TRANSACTIONS',
    'group coordinator is not available',
    'coordinator is loading',
    'not the correct coordinator',
    'There is no leader for this topic-partition',
    'This server does not host this topic-partition',
    'Topic creation errors',
  ].join('|'),
  'i',
);

/** The level a kafkajs log line is written at (see HANDLED_NOISE). */
export function kafkajsLevel(level: logLevel, message: string, error: unknown): 'error' | 'warn' | 'info' | 'debug' {
  if (HANDLED_NOISE.test(`${message} ${String(error ?? '')}`)) return 'debug';
  return LEVEL_NAMES[level] ?? 'info';
}

const warnedPlaintextSasl = new WeakSet<Logger>();

export interface KafkaClientOptions {
  /** Lets fault tests cut the client's connections (test/helpers/fault-proxy.ts). */
  socketFactory?: ISocketFactory;
  /** kafkajs retries per request (tools that must answer fast use fewer). */
  retries?: number;
  connectionTimeoutMs?: number;
}

export function createKafka(settings: KafkaClientSettings, log: Logger, clientIdSuffix = '', options: KafkaClientOptions = {}): Kafka {
  assertKafkajsFixed();
  const config: KafkaConfig = {
    clientId: `${settings.kafkaClientId}${clientIdSuffix}`,
    brokers: settings.kafkaBrokers,
    connectionTimeout: options.connectionTimeoutMs ?? 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 200, retries: options.retries ?? 8, maxRetryTime: 10_000 },
    // ERROR and WARN reach the logCreator, which demotes kafkajs's own retried noise.
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const level = kafkajsLevel(entry.level, message, (rest as { error?: unknown }).error);
      log[level]({ kafkajs: entry.namespace, ...rest }, message);
    },
  };
  if (options.socketFactory) config.socketFactory = options.socketFactory;
  if (settings.kafkaSsl) {
    config.ssl = { ...tlsMaterial('KAFKA_SSL', { ca: settings.kafkaSslCa, cert: settings.kafkaSslCert, key: settings.kafkaSslKey }), rejectUnauthorized: true };
  }
  if (settings.kafkaSaslMechanism) {
    if (!settings.kafkaSsl && !warnedPlaintextSasl.has(log)) {
      warnedPlaintextSasl.add(log);
      log.warn({ mechanism: settings.kafkaSaslMechanism }, 'KAFKA_SASL_MECHANISM without KAFKA_SSL: credentials (PLAIN) or the session travel unencrypted');
    }
    config.sasl = {
      mechanism: settings.kafkaSaslMechanism,
      username: settings.kafkaSaslUsername ?? '',
      password: settings.kafkaSaslPassword ?? '',
    } as SASLOptions;
  }
  return new Kafka(config);
}
