/** `scylla-pg-cdc sink`: wires config → clients → SinkService → metrics endpoint → runUntilSignal. */
import type { ISocketFactory } from 'kafkajs';
import type pg from 'pg';
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { createKafka } from '../clients/kafka.js';
import { createPgPool } from '../clients/postgres.js';
import { runUntilSignal, type Service } from '../lifecycle.js';
import { createLogger, type Logger } from '../log/logger.js';
import { MetricsServer } from '../metrics/http-server.js';
import { connectorHealthy, registry } from '../metrics/prom-registry.js';
import { applyHeapGrowth } from '../core/heap-growth.js';
import { SinkService } from './sink-service.js';

/** Test hooks of an in-process sink (fault injection); production passes none. */
export interface SinkProcessHooks {
  /**
   * kafkajs socket factory for every broker connection of the sink (consumer, admin, DLQ producer),
   * e.g. test/helpers/fault-proxy.ts `KafkaSocketFaults`, which can cut and refuse them.
   */
  socketFactory?: ISocketFactory;
}

/**
 * The sink pool's limits. A server that stops answering (network partition, stuck lock) must fail
 * the batch, not hang the serial flush: the server cancels a statement past PG_STATEMENT_TIMEOUT_MS
 * (57014, retried), the client gives up a little later if even the cancel is lost, and keepalive
 * finds dead peers.
 */
export function sinkPoolOptions(cfg: Pick<SinkConfig, 'pgPoolSize' | 'pgStatementTimeoutMs'>): pg.PoolConfig {
  return {
    max: cfg.pgPoolSize,
    statement_timeout: cfg.pgStatementTimeoutMs,
    query_timeout: cfg.pgStatementTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}

/** The whole sink process as one Service (used by `runSink` and by in-process tests). */
export function createSinkProcess(cfg: SinkConfig, log: Logger, hooks: SinkProcessHooks = {}): Service & { sink: SinkService; metricsPort(): number | undefined } {
  const pool = createPgPool(cfg, cfg.pgApplicationName, log, sinkPoolOptions(cfg));
  const kafka = createKafka(cfg, log, '-sink', hooks.socketFactory ? { socketFactory: hooks.socketFactory } : {});
  const sink = new SinkService({ config: cfg, log, kafka, pool });
  const metrics = cfg.metricsPort > 0 ? new MetricsServer(registry, sink) : undefined;
  let port: number | undefined;
  return {
    sink,
    failed: sink.failed,
    metricsPort: () => port,
    async start() {
      connectorHealthy.set({ component: 'sink' }, 0);
      if (metrics) port = await metrics.start(cfg.metricsPort, cfg.metricsHost);
      await sink.start();
    },
    async stop() {
      try {
        await sink.stop();
      } finally {
        await metrics?.stop();
        await pool.end().catch((err: unknown) => log.warn({ err }, 'closing the PostgreSQL pool failed'));
      }
    },
  };
}

export async function runSink(ctx: CommandContext): Promise<number> {
  parseCommandArgs(ctx.argv, {}, 'usage: scylla-pg-cdc sink'); // takes no arguments: a stray one is exit 2
  const cfg = loadSinkConfig(ctx.env, readSecretFile);
  const log = createLogger('sink', cfg.logLevel);
  const heapGrowingPercent = applyHeapGrowth(cfg.sinkHeapGrowingPercent);
  log.info({ heapGrowingPercent, topics: cfg.sinkTopics, groupId: cfg.sinkGroupId, schema: cfg.pgSchema, workers: cfg.sinkWorkers }, 'starting sink');
  return runUntilSignal(createSinkProcess(cfg, log), log, cfg.shutdownTimeoutMs);
}
