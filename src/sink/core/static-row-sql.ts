/**
 * Static-row changes on the stored clustering rows of a partition (docs/sink.md, version guard rule
 * 6); the partition's own row of static cells is static-partition-sql.ts.
 */
import { MARKER_KEY, listKeysColumn, qualified, quoteIdent } from '../../core/sql-ident.js';
import { mergeExpr, removedType, type ParamSql } from './apply-sql.js';
import { CTS, MIN_TS, TS, newCts, storedTs } from './cell-times-sql.js';
import { CEXP, deltaExpirySql, expirySets, storedExp } from './expiry-sql.js';
import { isSoftDeleted } from './soft-delete-sql.js';
import { helperSchemaOf, type TargetTable } from './target-table.js';
import type { RowChange } from './types.js';

/**
 * Static-row change: Scylla static columns are shared by the partition; PostgreSQL has no such
 * thing, so the cells are written to every stored row of the partition, each cell only where the
 * stored cell is not newer than the change.
 */
export function staticRowUpdateSql(t: TargetTable, c: RowChange): ParamSql | undefined {
  const values: (string | null)[] = [];
  const p = (v: string | null, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const ts = p(c.tsUs, 'bigint');
  const sets: string[] = [];
  const applies: string[] = [];
  const entries: [string, string][] = [[MARKER_KEY, `nullif(${storedTs(MARKER_KEY)}, ${MIN_TS})`]];
  const exps: [string, string][] = [];
  for (const col of t.valueColumns) {
    const cell = c.cells[col.name];
    if (!cell) {
      entries.push([col.name, `nullif(${storedTs(col.name)}, ${MIN_TS})`]);
      continue;
    }
    const q = quoteIdent(col.name);
    const ok = `${ts} >= ${storedTs(col.name)}`;
    let v: string;
    if (cell.m === 'set' || !col.collection) {
      v = p(cell.m === 'set' ? cell.value : cell.add, col.pgType);
    } else {
      const src = { v: p(cell.add, col.pgType), r: p(cell.remove, removedType(col)!), l: p(cell.listKeys ?? null, 'text[]') };
      const lk = quoteIdent(listKeysColumn(col.name));
      v = mergeExpr(helperSchemaOf(t), col, `t.${q}`, col.collection === 'list' ? `t.${lk}` : 'NULL', src);
    }
    sets.push(`${q} = CASE WHEN ${ok} THEN ${v} ELSE t.${q} END`);
    // The cell's expiry follows its write (a write without TTL makes it permanent).
    const e = c.expiry?.cells[col.name];
    const staged = e === undefined ? 'NULL::jsonb' : `to_jsonb(${p(e, 'bigint')})`;
    const exp = cell.m === 'modify' && col.collection ? deltaExpirySql(`t.${q}`, storedExp(col.name), staged) : staged;
    exps.push([col.name, `CASE WHEN ${ok} THEN ${exp} ELSE ${storedExp(col.name)} END`]);
    applies.push(ok);
    entries.push([col.name, `CASE WHEN ${ok} THEN ${ts} ELSE nullif(${storedTs(col.name)}, ${MIN_TS}) END`]);
  }
  if (sets.length === 0) return undefined;
  sets.push(`${CTS} = ${newCts(`coalesce(t.${CTS}, '{}'::jsonb)`, `GREATEST(t.${TS}, ${ts})`, entries)}`, `${TS} = GREATEST(t.${TS}, ${ts})`);
  const unwritten = [MARKER_KEY, ...t.valueColumns.map((col) => col.name).filter((n) => !c.cells[n])].map((k): [string, string] => [k, storedExp(k)]);
  sets.push(...expirySets(`t.${CEXP}`, exps, c.expiry ? 'false' : `t.${CEXP} IS NULL`, [...exps, ...unwritten]));
  const prefix = c.key.findIndex((k) => k === null);
  const prefixLen = prefix < 0 ? c.key.length : prefix;
  const conds = t.keyColumns.slice(0, prefixLen).map((col, i) => `t.${quoteIdent(col.name)} = ${p(c.key[i]!, col.pgType)}`);
  conds.push(`(${applies.join(' OR ')})`);
  if (t.deletedAt) conds.push(`NOT ${isSoftDeleted(t)}`);
  return { text: `UPDATE ${qualified(t.schema, t.table)} AS t SET ${sets.join(', ')} WHERE ${conds.join(' AND ')}`, values };
}
