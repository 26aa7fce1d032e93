/**
 * SINK_DELETE_MODE=soft (README "Delete modes"). The rule is one sentence: soft mode computes
 * exactly what hard mode computes, except that where hard mode would remove a row it sets
 * `_cdc_deleted_at` (the write time of the change that removed it) and leaves the row's columns as
 * they were, the last values before the delete; and a marked row counts as absent for every later
 * change. So a later change newer than the delete revives the row as hard mode would re-insert it
 * (only the cells written after the delete, the others NULL: what ScyllaDB shows), an older change
 * is refused by the tombstone side table as in hard mode, and `reconcile` ignores marked rows.
 */
import { CEXP_COLUMN, DELETED_AT_COLUMN, EXPIRES_AT_COLUMN, TS_COLUMN, qualified, quoteIdent } from '../../core/sql-ident.js';
import type { TargetTable } from './target-table.js';

const DEL = quoteIdent(DELETED_AT_COLUMN);
const TS = quoteIdent(TS_COLUMN);

/** A write time in µs (bigint SQL expression) as timestamptz, exactly (no float rounding). */
export const usToTimestamptz = (us: string) => `(TIMESTAMPTZ 'epoch' + (${us}) * INTERVAL '1 microsecond')`;

/** `AND <row t is not soft-deleted>`, or nothing on a table without the column. */
export const andLive = (t: TargetTable, alias = 't') => (t.deletedAt ? ` AND ${alias}.${DEL} IS NULL` : '');

/** Condition that target row `t` is soft-deleted (false on a table without the column). */
export const isSoftDeleted = (t: TargetTable, alias = 't') => (t.deletedAt ? `${alias}.${DEL} IS NOT NULL` : 'false');

/**
 * SET items that mark a row removed by a change at `tsUs`. Its TTL expiries go: nothing in a marked
 * row expires any more (a revival writes new ones), so the TTL purge never visits it.
 */
export const markDeletedSets = (tsUs: string) => [
  `${DEL} = ${usToTimestamptz(`GREATEST(t.${TS}, ${tsUs})`)}`,
  `${TS} = GREATEST(t.${TS}, ${tsUs})`,
  `${quoteIdent(CEXP_COLUMN)} = NULL`,
  `${quoteIdent(EXPIRES_AT_COLUMN)} = NULL`,
];

/** The SET item that revives a marked row. */
export const reviveSet = `${DEL} = NULL`;

/**
 * Removes the rows of target `t` (alias t) matching `where`: DELETE in hard mode, a mark in soft mode
 * (rows already marked keep their first mark's columns and are not counted again). `using` is
 * another relation the condition joins (`USING` for DELETE, `FROM` for UPDATE).
 */
export function removeRowsSql(t: TargetTable, where: string, tsUs: string, using?: string): string {
  const tgt = qualified(t.schema, t.table);
  if (!t.softDelete) return `DELETE FROM ${tgt} AS t${using ? ` USING ${using}\n` : ' '}WHERE ${where}`;
  return `UPDATE ${tgt} AS t SET ${markDeletedSets(tsUs).join(', ')}${using ? ` FROM ${using}\n` : ' '}WHERE ${where}${andLive(t)}`;
}

export function addDeletedAtColumnSql(schema: string, table: string): string {
  return `ALTER TABLE ${qualified(schema, table)} ADD COLUMN IF NOT EXISTS ${DEL} timestamptz`;
}
