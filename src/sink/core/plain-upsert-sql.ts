/**
 * The plain-upsert path: staged rows that write a whole row at one write time go in with
 * `INSERT … ON CONFLICT DO UPDATE` instead of the per-cell MERGE (apply-sql.ts), and only what that
 * statement cannot settle is left in the staging table for the MERGE (docs/sink.md, "Two apply paths").
 *
 * A staged row is *plain* when it is an upsert with no row tombstone folded in, whose row marker and
 * every cell of every value column of the target are written at the row's own time (`_ts`), set
 * (not collection deltas), and without TTL: what an INSERT of every column writes, the bulk of most
 * CDC streams. For such a row, the per-cell guard collapses to two comparisons:
 * - against tombstones: the row applies only when `_ts` is newer than the key's row tombstone and
 *   any range tombstone covering it (ScyllaDB: a tombstone wins a tie), as in the MERGE's `_dmin`;
 * - against the stored row: every stored cell and marker time is <= the stored `_cdc_ts_us` (every
 *   statement keeps it the newest), so when `_cdc_ts_us <= _ts` every staged cell applies (equal
 *   applies, as in the MERGE), the row's cells are all at `_ts` and `_cdc_cts` keeps only the
 *   entries of columns this schema does not know.
 * A plain row failing the second comparison (an older write replayed over a newer row) is not
 * touched here and stays staged; the MERGE, which runs only when rows are left, applies it cell by
 * cell. So both paths end in the same row, which test/integration/sink/apply-paths.test.ts checks
 * against the MERGE alone on random histories.
 *
 * The cost this saves is PostgreSQL's (bench/README.md): the MERGE evaluates a guard and builds a
 * jsonb entry for every column of every row; ON CONFLICT copies the staged values.
 */
import { CTS, MIN_TS, TS } from './cell-times-sql.js';
import { CEXP } from './expiry-sql.js';
import { STAGING } from './apply-sql.js';
import { stagedWithTombstones } from './range-tombstone-sql.js';
import { isSoftDeleted } from './soft-delete-sql.js';
import { MARKER_KEY, DELETED_AT_COLUMN, listKeysColumn, qualified, quoteIdent, quoteLiteral } from '../../core/sql-ident.js';
import type { FoldedRow } from './fold.js';
import type { TargetTable } from './target-table.js';

/** Whether `row` is plain for target `t` (see above); `t.onConflictKey` must hold too. */
export function isPlainRow(t: TargetTable, row: FoldedRow): boolean {
  if (row.op !== 'upsert' || row.delTsUs !== null || row.markerTs !== row.tsUs || row.markerExp != null) return false;
  if (row.cellExp && Object.keys(row.cellExp).length > 0) return false;
  for (const c of t.valueColumns) {
    const cell = row.cells[c.name];
    if (cell === undefined || cell.m !== 'set') return false;
    const ts = row.cellTs?.[c.name];
    if (ts !== undefined && ts !== row.tsUs) return false;
  }
  return true;
}

/**
 * One statement: INSERT … ON CONFLICT of the staged plain rows (`_p`) newer than their tombstones,
 * updating a stored row only when its `_cdc_ts_us` is not newer; the rows it wrote are deleted from
 * the staging table, and its row count is how many. `noRangeTombstones` as for mergeRowsSql.
 */
export function plainUpsertSql(t: TargetTable, opts: { noRangeTombstones?: boolean } = {}): string {
  const tgt = qualified(t.schema, t.table);
  const keys = t.keyColumns.map((c) => quoteIdent(c.name));
  const staged = stagedWithTombstones(t, STAGING, opts.noRangeTombstones);
  const cols = [...keys];
  const vals = t.keyColumns.map((_, i) => `s.k${i}`);
  const sets: string[] = [];
  t.valueColumns.forEach((c, i) => {
    const col = quoteIdent(c.name);
    cols.push(col);
    vals.push(`s.v${i}`);
    sets.push(`${col} = EXCLUDED.${col}`);
    if (c.collection === 'list') {
      const lk = quoteIdent(listKeysColumn(c.name));
      cols.push(lk);
      vals.push(`s.l${i}`);
      sets.push(`${lk} = EXCLUDED.${lk}`);
    }
  });
  cols.push(CTS, TS);
  vals.push(`'{}'::jsonb`, 's._ts');
  // Entries of the marker and of every known column go (all at the new row time, implied); those
  // of columns this schema does not know stay. A soft-deleted row is revived as inserted (apply-sql.ts).
  const known = `ARRAY[${[MARKER_KEY, ...t.valueColumns.map((c) => c.name)].map(quoteLiteral).join(', ')}]::text[]`;
  const kept = `coalesce(t.${CTS}, '{}'::jsonb) - ${known}`;
  sets.push(`${CTS} = ${t.deletedAt ? `CASE WHEN ${isSoftDeleted(t)} THEN '{}'::jsonb ELSE ${kept} END` : kept}`);
  sets.push(`${TS} = EXCLUDED.${TS}`);
  // No staged TTL: the overwritten cells and marker expire no more. `_cdc_expires_at` may stay
  // earlier than the entries left, which the purge allows (expiry-sql.ts).
  sets.push(`${CEXP} = CASE WHEN t.${CEXP} IS NULL THEN NULL ELSE nullif(t.${CEXP} - ${known}, '{}'::jsonb) END`);
  if (t.deletedAt) sets.push(`${quoteIdent(DELETED_AT_COLUMN)} = NULL`);
  const keyMatch = (a: string, b: string) => t.keyColumns.map((_, i) => `${a}.k${i} = ${b}.k${i}`).join(' AND ');
  // The same tombstones as the MERGE's `_dmin`, minus the staged one (a plain row has none).
  const shadow = `GREATEST(${staged.rangeTerm}b.${TS})`;
  return `WITH done AS (
  INSERT INTO ${tgt} AS t (${cols.join(', ')})
  SELECT ${vals.join(', ')}
  FROM ${staged.from}
  WHERE s._p AND s._ts > coalesce(${shadow}, ${MIN_TS})
  ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${sets.join(',\n    ')}
  WHERE coalesce(t.${TS}, ${MIN_TS}) <= EXCLUDED.${TS}
  RETURNING ${keys.map((k, i) => `${k} AS k${i}`).join(', ')}
)
DELETE FROM ${STAGING} AS s USING done AS d WHERE ${keyMatch('s', 'd')}`;
}
