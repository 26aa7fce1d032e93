/**
 * Static columns per partition. In ScyllaDB a static column belongs to the partition, not to a row:
 * a partition may hold static cells and no clustering row at all, and `SELECT` then returns one row
 * with the clustering columns null. A PostgreSQL primary key cannot hold nulls, so the sink keeps the
 * partition's static cells in a companion table `_cdc_static_<table>`: the partition key columns as
 * its key, the table's value columns (only the static ones are ever set), and the same per-cell
 * write times, expiry and tombstone side table as the target, so the version guard, the TTL purge
 * and tombstone retention treat it like any target. The static cells are also still written on
 * every stored clustering row of the partition (apply-sql.ts `staticRowUpdateSql`), as before.
 *
 * - a static-row change upserts the partition's row (cell by cell, newest write wins) and removes it
 *   when no static cell is left non-null (ScyllaDB shows no row for such a partition);
 * - a partition delete at T clears its static cells not newer than T (barrierDeleteSql);
 * - row and range deletes never touch static cells (ScyllaDB: they delete clustering rows only).
 */
import { listKeysColumn, qualified, quoteIdent, staticTable, tombstoneTable, TS_COLUMN } from '../../core/sql-ident.js';
import { barrierDeleteSql, type ParamSql } from './apply-sql.js';
import { staticRowUpdateSql } from './static-row-sql.js';
import { addCtsColumnSql, addTsColumnSql, createTombstoneTableSql } from './ddl-sql.js';
import { expiryColumnsSql } from './expiry-sql.js';
import type { TargetTable } from './target-table.js';
import type { RowChange } from './types.js';

/** Number of leading key values a static-row or partition-delete change names: the partition key. */
export function partitionKeyLength(c: RowChange): number {
  const i = c.key.findIndex((k) => k === null);
  return i < 0 ? c.key.length : i;
}

/** The companion table of `t` as the apply SQL sees it (hard deletes: it mirrors what ScyllaDB holds). */
export function staticTargetOf(t: TargetTable, partitionKeyLen: number): TargetTable {
  return {
    schema: t.schema,
    table: staticTable(t.table),
    keyColumns: t.keyColumns.slice(0, partitionKeyLen),
    valueColumns: t.valueColumns,
    softDelete: false,
    deletedAt: false,
    helperSchema: t.helperSchema ?? t.schema,
  };
}

export function createStaticTableSql(st: TargetTable): string {
  const defs = st.keyColumns.map((c) => `${quoteIdent(c.name)} ${c.pgType} NOT NULL`);
  const pk = st.keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(st.schema, st.table)} (\n  ${defs.join(',\n  ')},\n  PRIMARY KEY (${pk})\n)`;
}

/** Creates or evolves the companion: its key, the target's value columns (same types), times, expiry, tombstones. */
export function staticTableDdl(st: TargetTable): string[] {
  const tgt = qualified(st.schema, st.table);
  const add = (name: string, type: string) => `ALTER TABLE ${tgt} ADD COLUMN IF NOT EXISTS ${quoteIdent(name)} ${type}`;
  return [
    createStaticTableSql(st),
    ...st.valueColumns.flatMap((c) => [add(c.name, c.pgType), ...(c.collection === 'list' ? [add(listKeysColumn(c.name), 'text[]')] : [])]),
    addTsColumnSql(st.schema, st.table),
    addCtsColumnSql(st.schema, st.table),
    ...expiryColumnsSql(st.schema, st.table),
    createTombstoneTableSql(st.schema, st.table, st.keyColumns),
  ];
}

/** A static-row change on the companion: make sure the partition's row exists, apply the cells, drop it if nothing is left. */
export function staticRowSql(st: TargetTable, c: RowChange): ParamSql[] {
  const update = staticRowUpdateSql(st, c);
  if (!update) return [];
  const n = st.keyColumns.length;
  const keyValues = c.key.slice(0, n);
  const tgt = qualified(st.schema, st.table);
  const tomb = qualified(st.schema, tombstoneTable(st.table));
  const cols = st.keyColumns.map((k) => quoteIdent(k.name));
  const params = st.keyColumns.map((k, i) => `$${i + 1}::${k.pgType}`);
  const keyMatch = (alias: string) => st.keyColumns.map((k, i) => `${alias}${quoteIdent(k.name)} = $${i + 1}::${k.pgType}`).join(' AND ');
  const empty = st.valueColumns.map((v) => `${quoteIdent(v.name)} IS NULL`);
  return [
    // A new row starts at the partition's tombstone time (none: the oldest possible time), so a
    // static cell older than a partition delete stays deleted, as ScyllaDB's tombstone shadows it.
    {
      text: `INSERT INTO ${tgt} (${cols.join(', ')}, ${quoteIdent(TS_COLUMN)}) VALUES (${params.join(', ')}, (SELECT b.${quoteIdent(TS_COLUMN)} FROM ${tomb} AS b WHERE ${keyMatch('b.')})) ON CONFLICT DO NOTHING`,
      values: keyValues,
    },
    update,
    ...(empty.length > 0 ? [{ text: `DELETE FROM ${tgt} WHERE ${keyMatch('')} AND ${empty.join(' AND ')}`, values: keyValues }] : []),
  ];
}

/** A partition delete on the companion: tombstone the partition, drop or clear its static cells not newer than it. */
export function staticPartitionDeleteSql(st: TargetTable, c: RowChange): ParamSql[] {
  return barrierDeleteSql(st, { ...c, kind: 'partition_delete', key: c.key.slice(0, st.keyColumns.length) });
}
