/**
 * Drops tombstones past SINK_TOMBSTONE_RETENTION_MS every SINK_TOMBSTONE_PURGE_INTERVAL_MS
 * (core/tombstone-purge-sql.ts says why), in statements of at most BATCH rows, over the tombstone
 * tables (row and range) of PG_SCHEMA and of the schemas SINK_TABLE_MAP put tables in that this run has written.
 * Retention 0 keeps tombstones forever.
 */
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import { tombstonesPurged } from '../metrics/sink-metrics.js';
import { TOMBSTONE_TABLES_SQL, purgeTombstonesSql, tombstoneCutoffUs, tombstonesOf } from './core/tombstone-purge-sql.js';
import { Periodic } from './periodic.js';

export const TOMBSTONE_PURGE_BATCH = 10_000;

export class TombstonePurge {
  private readonly periodic: Periodic;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly opts: { intervalMs: number; retentionMs: number; elsewhere?: () => { schema: string; table: string }[]; now?: () => number },
    private readonly log: Logger,
  ) {
    this.periodic = new Periodic(opts.retentionMs > 0 ? opts.intervalMs : 0, () => this.round(), log, 'tombstone purge');
  }

  start(): void {
    // Not at start-up: the first round waits one interval, so a restart loop does not scan every table.
    this.periodic.start(Math.min(this.opts.intervalMs, 60_000));
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
  }

  /** One pass; returns the tombstones dropped per table (as `schema.table` outside PG_SCHEMA). */
  async round(): Promise<Map<string, number>> {
    const schemas = [...new Set((this.opts.elsewhere?.() ?? []).map((x) => x.schema))];
    const cutoff = tombstoneCutoffUs((this.opts.now ?? Date.now)(), this.opts.retentionMs).toString();
    const { rows } = await this.pool.query<{ schema: string; table: string }>(TOMBSTONE_TABLES_SQL, [this.schema, schemas]);
    const out = new Map<string, number>();
    for (const { schema, table } of rows) {
      if (this.periodic.isStopped) break;
      const sql = purgeTombstonesSql(schema, table, TOMBSTONE_PURGE_BATCH);
      let dropped = 0;
      for (;;) {
        const n = (await this.pool.query(sql, [cutoff])).rowCount ?? 0;
        dropped += n;
        if (n < TOMBSTONE_PURGE_BATCH || this.periodic.isStopped) break;
      }
      // Row and range tombstones of one table count under its name.
      const base = tombstonesOf(table);
      const name = schema === this.schema ? base : `${schema}.${base}`;
      out.set(name, (out.get(name) ?? 0) + dropped);
      if (dropped === 0) continue;
      tombstonesPurged.inc({ table: name }, dropped);
      this.log.info({ table: name, dropped }, 'tombstones past retention dropped');
    }
    return out;
  }
}
