/**
 * Tombstone retention (docs/sink.md "Tombstones"): the sink remembers each deleted key and the
 * delete's write time in `_cdc_tombstones_<table>` so that a late, older change of that key is
 * refused. ScyllaDB keeps a tombstone for `gc_grace_seconds` (864000 s = 10 days by default) and
 * then drops it at compaction (ScyllaDB docs: "Tombstones GC"); a write older than a purged
 * tombstone may then come back there too. The sink does the same after SINK_TOMBSTONE_RETENTION_MS.
 */
import { TS_COLUMN, qualified, quoteIdent } from '../../core/sql-ident.js';

export const TOMBSTONE_PREFIX = '_cdc_tombstones_';
/** Partition and range deletes with their bounds (range-tombstone-sql.ts), purged by the same rule. */
export const RANGE_TOMBSTONE_PREFIX = '_cdc_range_tombstones_';

/** The table a tombstone table (row or range) belongs to. */
export function tombstonesOf(table: string): string {
  for (const prefix of [TOMBSTONE_PREFIX, RANGE_TOMBSTONE_PREFIX]) if (table.startsWith(prefix)) return table.slice(prefix.length);
  return table;
}

/** The tombstone tables (row and range) of PG_SCHEMA ($1) and of the extra schemas ($2, text[]), by catalog. */
export const TOMBSTONE_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS table
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname = $1 OR n.nspname = ANY($2::text[])) AND c.relkind IN ('r', 'p')
  AND (c.relname LIKE '\\_cdc\\_tombstones\\_%' OR c.relname LIKE '\\_cdc\\_range\\_tombstones\\_%')
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '${TS_COLUMN}' AND NOT a.attisdropped)
ORDER BY 1, 2`;

/**
 * Deletes at most `batch` tombstones written before $1 (µs since the epoch, bigint). Rows a sink is
 * writing at that moment (a new delete of the same key) are skipped and judged next round. Old
 * tombstones sit early in the heap (appended in time order), so the scan finds them first.
 */
export function purgeTombstonesSql(schema: string, table: string, batch: number): string {
  const t = qualified(schema, table);
  const ts = quoteIdent(TS_COLUMN);
  return `WITH gone AS (SELECT ctid FROM ${t} WHERE ${ts} < $1::bigint LIMIT ${Math.max(1, Math.floor(batch))} FOR UPDATE SKIP LOCKED)
DELETE FROM ${t} AS b USING gone WHERE b.ctid = gone.ctid`;
}

/** The cutoff in µs: tombstones written before it are past retention. */
export function tombstoneCutoffUs(nowMs: number, retentionMs: number): bigint {
  return (BigInt(Math.floor(nowMs)) - BigInt(Math.floor(retentionMs))) * 1000n;
}
