/**
 * Set-based apply of one rows step through a temp staging table (sink-anchors.md §4c):
 *
 *   COPY staging ← folded rows (one per key; per column a value, a mode and delta extras)
 *   DELETE target rows of op=d rows, version-guarded; remember tombstones in the side table
 *   MERGE  op=u rows: only touched columns change (`CASE mode WHEN set … WHEN modify … ELSE target`),
 *          skipped where the target row is newer (`_cdc_ts_us`) or a newer tombstone exists.
 *
 * Version guard: a row keeps the write time of its last applied change; a change applies when its
 * time is >= the row's (equal = the next change of the same Scylla batch, or an idempotent replay),
 * and an upsert applies only when strictly newer than the key's tombstone (Scylla: a tombstone wins
 * a timestamp tie).
 */
import { encodeCopyRow } from './copy-encoder.js';
import type { FoldedRow } from './fold.js';
import { TS_COLUMN, listKeysColumn, qualified, quoteIdent, tombstoneTable } from './sql-ident.js';
import type { TargetColumn, TargetTable } from './target-table.js';
import type { RowChange } from './types.js';

export const STAGING = '_cdc_stg';
const MIN_TS = '(-9223372036854775808)::bigint';

const MODE = { untouched: '0', set: '1', modify: '2' } as const;

/** Type of the `removed` delta column, or undefined when the column takes no deltas. */
function removedType(c: TargetColumn): string | undefined {
  if (!c.collection) return undefined;
  if (c.collection === 'set') return c.storage === 'array' ? c.pgType : 'jsonb';
  return 'text[]';
}

export function stagingDdl(t: TargetTable): string {
  const defs = ['_op text NOT NULL', '_ts bigint NOT NULL', '_del bigint'];
  t.keyColumns.forEach((c, i) => defs.push(`k${i} ${c.pgType}`));
  t.valueColumns.forEach((c, i) => {
    defs.push(`v${i} ${c.pgType}`, `m${i} smallint NOT NULL`);
    const r = removedType(c);
    if (r) defs.push(`r${i} ${r}`);
    if (c.collection === 'list') defs.push(`l${i} text[]`);
  });
  return `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (${defs.join(', ')}) ON COMMIT DROP`;
}

export const truncateStagingSql = `TRUNCATE ${STAGING}`;
export const copyStagingSql = `COPY ${STAGING} FROM STDIN`;

/** One staging line (COPY text format) for a folded row. */
export function stagingLine(t: TargetTable, row: FoldedRow): string {
  const fields: (string | null)[] = [row.op === 'delete' ? 'd' : 'u', row.tsUs, row.delTsUs];
  for (const k of row.key) fields.push(k);
  for (const c of t.valueColumns) {
    const cell = row.cells[c.name];
    const hasR = removedType(c) !== undefined;
    const hasL = c.collection === 'list';
    if (!cell) {
      fields.push(null, MODE.untouched);
      if (hasR) fields.push(null);
      if (hasL) fields.push(null);
    } else if (cell.m === 'set') {
      fields.push(cell.value, MODE.set);
      if (hasR) fields.push(null);
      if (hasL) fields.push(cell.listKeys ?? null);
    } else {
      fields.push(cell.add, c.collection ? MODE.modify : MODE.set);
      if (hasR) fields.push(cell.remove);
      if (hasL) fields.push(cell.listKeys ?? null);
    }
  }
  return encodeCopyRow(fields);
}

const keyMatch = (t: TargetTable, left: string, right: (i: number) => string) =>
  t.keyColumns.map((c, i) => `${left}.${quoteIdent(c.name)} = ${right(i)}`).join(' AND ');

/** Delta-merge expression of a collection column over `base` (the stored value, or NULL). */
export function mergeExpr(schema: string, c: TargetColumn, base: string, baseKeys: string, src: { v: string; r: string; l: string }): string {
  const fn = (name: string) => qualified(schema, name);
  switch (c.collection) {
    case 'set':
      return c.storage === 'array' ? `${fn('_cdc_set_merge')}(${base}, ${src.v}, ${src.r})` : `${fn('_cdc_jset_merge')}(${base}, ${src.v}, ${src.r})`;
    case 'list':
      return c.storage === 'array'
        ? `${fn('_cdc_list_merge')}(${base}, ${baseKeys}, ${src.v}, ${src.l}, ${src.r})`
        : `${fn('_cdc_jlist_merge')}(${base}, ${baseKeys}, ${src.v}, ${src.l}, ${src.r})`;
    case 'map':
    case 'udt':
      return `${fn('_cdc_map_merge')}(${base}, ${src.v}, ${src.r})`;
    default:
      return src.v;
  }
}

export function listKeysMergeExpr(schema: string, c: TargetColumn, base: string, baseKeys: string, src: { v: string; r: string; l: string }): string {
  const len = (x: string) => (c.storage === 'array' ? `cardinality(${x})` : `jsonb_array_length(${x})`);
  return `${qualified(schema, '_cdc_list_keys')}(${len(base)}, ${baseKeys}, ${src.l}, ${len(src.v)}, ${src.r})`;
}

export function deleteRowsSql(t: TargetTable): string {
  const tgt = qualified(t.schema, t.table);
  return `DELETE FROM ${tgt} AS t USING ${STAGING} AS s
WHERE s._op = 'd' AND ${keyMatch(t, 't', (i) => `s.k${i}`)}
  AND coalesce(t.${quoteIdent(TS_COLUMN)}, ${MIN_TS}) <= s._ts`;
}

export function insertTombstonesSql(t: TargetTable): string {
  const tomb = qualified(t.schema, tombstoneTable(t.table));
  const keys = t.keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  const ts = quoteIdent(TS_COLUMN);
  return `INSERT INTO ${tomb} AS b (${keys}, ${ts})
SELECT ${t.keyColumns.map((_, i) => `s.k${i}`).join(', ')}, s._ts FROM ${STAGING} AS s WHERE s._op = 'd'
ON CONFLICT (${keys}) DO UPDATE SET ${ts} = GREATEST(b.${ts}, EXCLUDED.${ts})`;
}

export function mergeRowsSql(t: TargetTable): string {
  const tgt = qualified(t.schema, t.table);
  const tomb = qualified(t.schema, tombstoneTable(t.table));
  const ts = quoteIdent(TS_COLUMN);
  // Columns the change does not touch keep their value, unless a delete folded under this upsert
  // (delete-then-insert) is not older than the stored row: then they start from NULL.
  const reset = `s._del IS NOT NULL AND coalesce(t.${ts}, ${MIN_TS}) <= s._del`;
  const sets: string[] = [];
  const insCols: string[] = t.keyColumns.map((c) => quoteIdent(c.name));
  const insVals: string[] = t.keyColumns.map((_, i) => `s.k${i}`);
  t.valueColumns.forEach((c, i) => {
    const col = quoteIdent(c.name);
    const base = `CASE WHEN ${reset} THEN NULL ELSE t.${col} END`;
    const src = { v: `s.v${i}`, r: `s.r${i}`, l: `s.l${i}` };
    const lk = quoteIdent(listKeysColumn(c.name));
    const baseKeys = c.collection === 'list' ? `CASE WHEN ${reset} THEN NULL ELSE t.${lk} END` : 'NULL';
    if (c.collection) {
      sets.push(`${col} = CASE s.m${i} WHEN 1 THEN s.v${i} WHEN 2 THEN ${mergeExpr(t.schema, c, base, baseKeys, src)} ELSE ${base} END`);
      insCols.push(col);
      insVals.push(`CASE s.m${i} WHEN 1 THEN s.v${i} WHEN 2 THEN ${mergeExpr(t.schema, c, 'NULL', 'NULL', src)} END`);
      if (c.collection === 'list') {
        sets.push(`${lk} = CASE s.m${i} WHEN 1 THEN s.l${i} WHEN 2 THEN ${listKeysMergeExpr(t.schema, c, base, baseKeys, src)} ELSE ${baseKeys} END`);
        insCols.push(lk);
        insVals.push(`CASE s.m${i} WHEN 1 THEN s.l${i} WHEN 2 THEN ${listKeysMergeExpr(t.schema, c, `NULL::${c.pgType}`, 'NULL', src)} END`);
      }
    } else {
      sets.push(`${col} = CASE WHEN s.m${i} <> 0 THEN s.v${i} ELSE ${base} END`);
      insCols.push(col);
      insVals.push(`CASE WHEN s.m${i} <> 0 THEN s.v${i} END`);
    }
  });
  sets.push(`${ts} = s._ts`);
  insCols.push(ts);
  insVals.push('s._ts');
  return `MERGE INTO ${tgt} AS t
USING (SELECT s.* FROM ${STAGING} AS s LEFT JOIN ${tomb} AS b ON ${keyMatch(t, 'b', (i) => `s.k${i}`)}
       WHERE s._op = 'u' AND (b.${ts} IS NULL OR b.${ts} < s._ts)) AS s
ON ${keyMatch(t, 't', (i) => `s.k${i}`)}
WHEN MATCHED AND coalesce(t.${ts}, ${MIN_TS}) <= s._ts THEN
  UPDATE SET ${sets.join(',\n    ')}
WHEN NOT MATCHED THEN
  INSERT (${insCols.join(', ')})
  VALUES (${insVals.join(', ')})`;
}

export interface ParamSql {
  text: string;
  values: (string | null)[];
}

/** Partition delete or range delete: remove covered rows not newer than it, and tombstone them. */
export function barrierDeleteSql(t: TargetTable, c: RowChange): ParamSql {
  const values: (string | null)[] = [];
  const p = (v: string | null, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const prefix = c.key.findIndex((k) => k === null);
  const prefixLen = prefix < 0 ? c.key.length : prefix;
  const conds = t.keyColumns.slice(0, prefixLen).map((col, i) => `t.${quoteIdent(col.name)} = ${p(c.key[i]!, col.pgType)}`);
  if (c.kind === 'range_delete' && c.range) {
    const rest = t.keyColumns.slice(prefixLen);
    const bound = (vals: string[], op: string) => {
      if (vals.length === 0) return;
      const cols = rest.slice(0, vals.length);
      const lhs = cols.map((col) => `t.${quoteIdent(col.name)}`);
      const rhs = cols.map((col, i) => p(vals[i]!, col.pgType));
      conds.push(cols.length === 1 ? `${lhs[0]} ${op} ${rhs[0]}` : `ROW(${lhs.join(', ')}) ${op} ROW(${rhs.join(', ')})`);
    };
    // A prefix bound covers every row whose clustering prefix equals it when inclusive; comparing
    // only the prefix columns gives exactly that (clustering order assumed ascending).
    bound(c.range.start.values, c.range.start.inclusive ? '>=' : '>');
    bound(c.range.end.values, c.range.end.inclusive ? '<=' : '<');
  }
  const ts = quoteIdent(TS_COLUMN);
  conds.push(`coalesce(t.${ts}, ${MIN_TS}) <= ${p(c.tsUs, 'bigint')}`);
  const tsParam = `$${values.length}::bigint`;
  const keys = t.keyColumns.map((col) => quoteIdent(col.name)).join(', ');
  const tgt = qualified(t.schema, t.table);
  const tomb = qualified(t.schema, tombstoneTable(t.table));
  return {
    text: `WITH d AS (DELETE FROM ${tgt} AS t WHERE ${conds.join(' AND ')} RETURNING ${t.keyColumns.map((col) => `t.${quoteIdent(col.name)}`).join(', ')})
INSERT INTO ${tomb} AS b (${keys}, ${ts}) SELECT d.*, ${tsParam} FROM d
ON CONFLICT (${keys}) DO UPDATE SET ${ts} = GREATEST(b.${ts}, EXCLUDED.${ts})`,
    values,
  };
}

/**
 * Static-row change: Scylla static columns are shared by the partition; PostgreSQL has no such
 * thing, so the cells are written to every stored row of the partition (not newer than the change).
 */
export function staticRowUpdateSql(t: TargetTable, c: RowChange): ParamSql | undefined {
  const values: (string | null)[] = [];
  const p = (v: string | null, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const sets: string[] = [];
  for (const col of t.valueColumns) {
    const cell = c.cells[col.name];
    if (!cell) continue;
    const q = quoteIdent(col.name);
    if (cell.m === 'set' || !col.collection) {
      sets.push(`${q} = ${p(cell.m === 'set' ? cell.value : cell.add, col.pgType)}`);
    } else {
      const src = { v: p(cell.add, col.pgType), r: p(cell.remove, removedType(col)!), l: p(cell.listKeys ?? null, 'text[]') };
      const lk = quoteIdent(listKeysColumn(col.name));
      sets.push(`${q} = ${mergeExpr(t.schema, col, `t.${q}`, col.collection === 'list' ? `t.${lk}` : 'NULL', src)}`);
    }
  }
  if (sets.length === 0) return undefined;
  const prefix = c.key.findIndex((k) => k === null);
  const prefixLen = prefix < 0 ? c.key.length : prefix;
  const conds = t.keyColumns.slice(0, prefixLen).map((col, i) => `t.${quoteIdent(col.name)} = ${p(c.key[i]!, col.pgType)}`);
  conds.push(`coalesce(t.${quoteIdent(TS_COLUMN)}, ${MIN_TS}) <= ${p(c.tsUs, 'bigint')}`);
  return { text: `UPDATE ${qualified(t.schema, t.table)} AS t SET ${sets.join(', ')} WHERE ${conds.join(' AND ')}`, values };
}
