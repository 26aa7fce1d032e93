/**
 * The TTL purge (docs/sink.md "TTL expiry"): every SINK_TTL_PURGE_INTERVAL_MS, for each table of
 * PG_SCHEMA with expiry columns and each table SINK_TABLE_MAP put elsewhere that this run has written, removes the rows that ScyllaDB no longer returns (every live part
 * expired; soft mode marks them) and sets expired cells of the other rows to NULL, in statements of
 * at most BATCH rows each, so no statement holds many row locks or runs long. Rows a sink is
 * writing at that moment are skipped (SKIP LOCKED) and taken on the next round. Several sinks may
 * purge at once: they skip each other's rows.
 */
import type { Pool } from 'pg';
import type { Logger } from '../log/logger.js';
import { ttlPurged } from '../metrics/sink-metrics.js';
import { EXPIRES_AT_COLUMN } from '../core/sql-ident.js';
import { purgeCellsSql, purgeRowsSql } from './core/expiry-sql.js';
import { purgeTarget, type CatalogTable } from './core/purge-target.js';
import { addDeletedAtColumnSql } from './core/soft-delete-sql.js';
import { Periodic } from './periodic.js';

export const PURGE_BATCH = 1000;

const TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS table,
  (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum WHERE i.indrelid = c.oid AND i.indisprimary) AS keys
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname = $1 OR (n.nspname, c.relname) IN (SELECT * FROM unnest($3::text[], $4::text[]))) AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped)
ORDER BY 1, 2`;

export interface PurgeCounts {
  removed: number;
  cells: number;
}

export class TtlPurge {
  private readonly periodic: Periodic;

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly opts: { intervalMs: number; softDelete: boolean; elsewhere?: () => { schema: string; table: string }[] },
    private readonly log: Logger,
  ) {
    this.periodic = new Periodic(opts.intervalMs, () => this.round(), log, 'TTL purge');
  }

  start(): void {
    this.periodic.start();
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
  }

  private get stopped(): boolean {
    return this.periodic.isStopped;
  }

  /** One pass over every table; returns what it did per table. */
  async round(): Promise<Map<string, PurgeCounts>> {
    const more = this.opts.elsewhere?.() ?? [];
    const { rows } = await this.pool.query<CatalogTable & { schema: string }>(TABLES_SQL, [this.schema, EXPIRES_AT_COLUMN, more.map((x) => x.schema), more.map((x) => x.table)]);
    const out = new Map<string, PurgeCounts>();
    for (const c of rows) {
      if (this.stopped) break;
      if (!c.keys || c.keys.length === 0) continue;
      let t = purgeTarget(c.schema, c, this.opts.softDelete);
      if (t.softDelete && !t.deletedAt) {
        await this.pool.query(addDeletedAtColumnSql(c.schema, c.table));
        t = { ...t, deletedAt: true };
      }
      const counts = { removed: await this.drain(purgeRowsSql(t, PURGE_BATCH)), cells: await this.drain(purgeCellsSql(t, PURGE_BATCH)) };
      const name = c.schema === this.schema ? c.table : `${c.schema}.${c.table}`;
      out.set(name, counts);
      if (counts.removed + counts.cells === 0) continue;
      const action = t.softDelete ? 'marked' : 'deleted';
      ttlPurged.inc({ table: name, action }, counts.removed);
      ttlPurged.inc({ table: name, action: 'cells' }, counts.cells);
      this.log.info({ table: name, [action]: counts.removed, cellsExpired: counts.cells }, 'TTL purge: removed what ScyllaDB no longer returns');
    }
    return out;
  }

  /** Runs a bounded purge statement until it finds less than a full batch; returns the rows in which something expired. */
  private async drain(sql: string): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await this.pool.query<{ n: number; spent: number }>(sql);
      total += rows[0]?.spent ?? 0;
      if ((rows[0]?.n ?? 0) < PURGE_BATCH || this.stopped) return total;
    }
  }
}
