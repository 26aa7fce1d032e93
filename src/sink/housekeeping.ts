/**
 * The sink's background purges, which are housekeeping, not the data path: TTL expiry (ttl-purge.ts)
 * and tombstone retention (tombstone-purge.ts), both over PG_SCHEMA and the schemas SINK_TABLE_MAP
 * put tables in that this run has written.
 */
import type { Pool } from 'pg';
import type { SinkConfig } from '../config/sink-config.js';
import type { Logger } from '../log/logger.js';
import { TombstonePurge } from './tombstone-purge.js';
import { TtlPurge } from './ttl-purge.js';

type PurgeSettings = Pick<SinkConfig, 'pgSchema' | 'sinkTtlPurgeIntervalMs' | 'sinkDeleteMode' | 'sinkTombstonePurgeIntervalMs' | 'sinkTombstoneRetentionMs'>;

export class Housekeeping {
  private readonly ttl: TtlPurge;
  private readonly tombstones: TombstonePurge;

  constructor(pool: Pool, cfg: PurgeSettings, tables: { resolvedTables(): { schema: string; table: string }[] }, log: Logger) {
    const elsewhere = () => tables.resolvedTables();
    this.ttl = new TtlPurge(pool, cfg.pgSchema, { intervalMs: cfg.sinkTtlPurgeIntervalMs, softDelete: cfg.sinkDeleteMode === 'soft', elsewhere }, log);
    this.tombstones = new TombstonePurge(pool, cfg.pgSchema, { intervalMs: cfg.sinkTombstonePurgeIntervalMs, retentionMs: cfg.sinkTombstoneRetentionMs, elsewhere }, log);
  }

  start(): void {
    this.ttl.start();
    this.tombstones.start();
  }

  async stop(): Promise<void> {
    await Promise.all([this.ttl.stop(), this.tombstones.stop()]);
  }
}
