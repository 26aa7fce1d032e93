/**
 * `scylla-pg-cdc source`: load config (exit 2 on bad config), serve /metrics /healthz /readyz
 * /status, run the source until SIGTERM/SIGINT, then drain (finish the open transactions) and
 * exit 0. With SNAPSHOT_MODE=initial_only the process drains and exits once the snapshot is done.
 */
import type { CommandContext } from '../cli/command-context.js';
import { parseCommandArgs } from '../cli/args.js';
import { readSecretFile } from '../config/read-secret-file.js';
import { loadSourceConfig } from '../config/source-config.js';
import { runUntilSignal } from '../lifecycle.js';
import { createLogger } from '../log/logger.js';
import { MetricsServer } from '../metrics/http-server.js';
import { registry } from '../metrics/prom-registry.js';
import { applyHeapGrowth } from '../core/heap-growth.js';
import { SourceService } from './source-service.js';

export async function runSource(ctx: CommandContext): Promise<number> {
  parseCommandArgs(ctx.argv, {}, 'usage: scylla-pg-cdc source'); // takes no arguments: a stray one is exit 2
  const config = loadSourceConfig(ctx.env, readSecretFile);
  const log = createLogger('source', config.logLevel);
  // V8's default growth let the heap reach 3x its live size while draining (docs/source.md, "Throughput and memory")
  const heapGrowingPercent = applyHeapGrowth(config.sourceHeapGrowingPercent);
  log.info({ heapGrowingPercent, sourceName: config.sourceName, tables: config.scyllaTables, slots: config.sourceSlots }, 'starting source');
  const service = new SourceService(config, log);
  const metrics = new MetricsServer(registry, service);
  if (config.metricsPort > 0) {
    const port = await metrics.start(config.metricsPort, config.metricsHost);
    log.info({ port }, 'metrics endpoint listening');
  }
  if (config.snapshotMode === 'initial_only') {
    void service.snapshotFinished.then(() => {
      log.info('SNAPSHOT_MODE=initial_only: snapshot finished, stopping');
      process.emit('SIGTERM', 'SIGTERM');
    });
  }
  try {
    return await runUntilSignal(
      {
        start: () => service.start(),
        stop: () => service.stop(),
      },
      log,
      config.shutdownTimeoutMs,
    );
  } finally {
    await metrics.stop();
  }
}
