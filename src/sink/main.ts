/** `scylla-pg-cdc sink`: wires config → clients → SinkService → metrics endpoint → runUntilSignal. */
import type { ISocketFactory } from 'kafkajs';
import pg from 'pg';
import type { CommandContext } from '../cli/commands.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadSinkConfig, type SinkConfig } from '../config/sink-config.js';
import { createKafka } from '../kafka/kafka-client.js';
import { runUntilSignal, type Service } from '../lifecycle.js';
import { createLogger, type Logger } from '../log/logger.js';
import { MetricsServer } from '../metrics/http-server.js';
import { connectorHealthy, registry } from '../metrics/registry.js';
import { SinkService } from './sink-service.js';
import { readFileSync } from 'node:fs';

export function createPgPool(cfg: SinkConfig, log: Logger): pg.Pool {
  const ssl = cfg.pgSsl === 'disable' ? undefined : cfg.pgSsl === 'require' ? { rejectUnauthorized: false } : { rejectUnauthorized: true, ...(cfg.pgSslCa ? { ca: readFileSync(cfg.pgSslCa, 'utf8') } : {}) };
  const pool = new pg.Pool({
    connectionString: cfg.pgUrl,
    max: cfg.pgPoolSize,
    application_name: cfg.pgApplicationName,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    // A server that stops answering (network partition, stuck lock) must fail the batch, not hang the
    // serial flush: the server cancels a statement past PG_STATEMENT_TIMEOUT_MS (57014, retried), the
    // client gives up a little later if even the cancel is lost, and keepalive finds dead peers.
    statement_timeout: cfg.pgStatementTimeoutMs,
    query_timeout: cfg.pgStatementTimeoutMs + 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(ssl ? { ssl } : {}),
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled it would crash the
  // process. The next checkout gets a fresh connection.
  pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection lost'));
  // A checked-out client whose connection dies emits 'error' too; the query in flight rejects and
  // the batch is retried, so the event only needs a listener (else it is an uncaught exception).
  pool.on('connect', (client) => client.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost')));
  return pool;
}

/** Test hooks of an in-process sink (fault injection); production passes none. */
export interface SinkProcessHooks {
  /**
   * kafkajs socket factory for every broker connection of the sink (consumer, admin, DLQ producer),
   * e.g. test/helpers/fault-proxy.ts `KafkaSocketFaults`, which can cut and refuse them.
   */
  socketFactory?: ISocketFactory;
}

/** The whole sink process as one Service (used by `runSink` and by in-process tests). */
export function createSinkProcess(cfg: SinkConfig, log: Logger, hooks: SinkProcessHooks = {}): Service & { sink: SinkService; metricsPort(): number | undefined } {
  const pool = createPgPool(cfg, log);
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
  const cfg = loadSinkConfig(ctx.env, readSecretFile);
  const log = createLogger('sink', cfg.logLevel);
  log.info({ topics: cfg.sinkTopics, groupId: cfg.sinkGroupId, schema: cfg.pgSchema, workers: cfg.sinkWorkers }, 'starting sink');
  return runUntilSignal(createSinkProcess(cfg, log), log, cfg.shutdownTimeoutMs);
}
