/** Runs `scylla-pg-cdc source` as a child process (so it can be SIGKILLed) with a given config env. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { SourceConfig } from '../../../src/config/source-config.js';

export function configEnv(cfg: SourceConfig): Record<string, string> {
  return {
    SCYLLA_CONTACT_POINTS: cfg.scyllaContactPoints.map((p) => `${p.host}:${p.port}`).join(','),
    SCYLLA_TABLES: cfg.scyllaTables.join(','),
    SCYLLA_CONSISTENCY: cfg.scyllaConsistency,
    KAFKA_BROKERS: cfg.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: cfg.schemaRegistryUrl,
    SOURCE_NAME: cfg.sourceName,
    KAFKA_TOPIC_TEMPLATE: cfg.kafkaTopicTemplate,
    CDC_CONFIDENCE_WINDOW_MS: String(cfg.cdcConfidenceWindowMs),
    CDC_POLL_INTERVAL_MS: String(cfg.cdcPollIntervalMs),
    SNAPSHOT_MODE: cfg.snapshotMode,
    SOURCE_SLOTS: String(cfg.sourceSlots),
    SOURCE_MAX_BATCH_RECORDS: String(cfg.sourceMaxBatchRecords),
    KAFKA_TOPIC_PARTITIONS: String(cfg.kafkaTopicPartitions),
    KAFKA_TRANSACTION_TIMEOUT_MS: String(cfg.kafkaTransactionTimeoutMs),
    SOURCE_GROUP_SESSION_TIMEOUT_MS: String(cfg.sourceGroupSessionTimeoutMs),
    SOURCE_CHECKPOINT_INTERVAL_MS: String(cfg.sourceCheckpointIntervalMs),
    METRICS_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  };
}

export interface SourceChild {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * `env` overrides the config's variables (e.g. METRICS_PORT to poll /status); `logFile` keeps
 * the whole output (the in-memory copy is only the tail), for looking into a failed run.
 */
export function spawnSource(cfg: SourceConfig, env: Record<string, string> = {}, logFile?: string): SourceChild {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'source'], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...configEnv(cfg), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  if (logFile) {
    const file = createWriteStream(logFile, { flags: 'a' });
    proc.stdout!.pipe(file);
    proc.stderr!.pipe(file);
  }
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = once(proc, 'exit').then(([code]) => code as number | null);
  return { proc, output: () => out, exited };
}

export async function kill9(c: SourceChild): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  await c.exited;
}
