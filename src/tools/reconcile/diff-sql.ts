/**
 * The comparison, in SQL, between the staged ScyllaDB rows (`_cdc_stg`, the sink's own staging
 * layout: k<i> key columns, v<i> values in the target's actual types) and the target table.
 * Values are compared as PostgreSQL values of the target's types, which normalises what text
 * cannot: timestamps, numerics (1.0 = 1.00), jsonb maps and UDTs (key order). Two more rules
 * follow ScyllaDB's semantics: a set is unordered (compared sorted), and an empty non-frozen
 * collection is the same as NULL (Scylla cannot store an empty one). Soft-deleted rows
 * (SINK_DELETE_MODE=soft) are absent: only the target's live rows are compared. TTL expiry is
 * applied as ScyllaDB's reads apply it, purged or not: an expired cell is NULL, a row with nothing
 * live left is absent.
 */
import { STAGING } from '../../sink/core/apply-sql.js';
import { visibleRelation as liveRelation } from '../../sink/core/expiry-sql.js';
import { quoteIdent } from '../../core/sql-ident.js';
import type { TargetColumn, TargetTable } from '../../sink/core/target-table.js';

function normalised(c: TargetColumn, expr: string): string {
  if (!c.collection) return expr;
  if (c.storage === 'array') {
    const sorted = c.collection === 'set' ? `(SELECT array_agg(x ORDER BY x) FROM unnest(${expr}) AS x)` : expr;
    return `NULLIF(${sorted}, '{}')`;
  }
  if (c.storage === 'json') {
    const sorted = c.collection === 'set' ? `(SELECT jsonb_agg(x ORDER BY x) FROM jsonb_array_elements(${expr}) AS x)` : expr;
    return `(CASE WHEN ${expr} IN ('[]'::jsonb, '{}'::jsonb) THEN NULL ELSE ${sorted} END)`;
  }
  return expr;
}

const keyJoin = (t: TargetTable) => t.keyColumns.map((c, i) => `t.${quoteIdent(c.name)} = s.k${i}`).join(' AND ');

function differs(t: TargetTable, i: number): string {
  const c = t.valueColumns[i]!;
  return `${normalised(c, `s.v${i}`)} IS DISTINCT FROM ${normalised(c, `t.${quoteIdent(c.name)}`)}`;
}

const anyDiffers = (t: TargetTable) => (t.valueColumns.length === 0 ? 'false' : t.valueColumns.map((_, i) => `(${differs(t, i)})`).join(' OR '));

export function countsSql(t: TargetTable): string {
  const tgt = liveRelation(t);
  return `SELECT
  (SELECT count(*) FROM ${STAGING} s WHERE s._op = 'u') AS source_rows,
  (SELECT count(*) FROM ${tgt} t) AS target_rows,
  (SELECT count(*) FROM ${STAGING} s WHERE s._op = 'u' AND NOT EXISTS (SELECT 1 FROM ${tgt} t WHERE ${keyJoin(t)})) AS missing,
  (SELECT count(*) FROM ${tgt} t WHERE NOT EXISTS (SELECT 1 FROM ${STAGING} s WHERE s._op = 'u' AND ${keyJoin(t)})) AS extra,
  (SELECT count(*) FROM ${STAGING} s JOIN ${tgt} t ON ${keyJoin(t)} WHERE s._op = 'u' AND (${anyDiffers(t)})) AS mismatched`;
}

const keyObject = (t: TargetTable, alias: 's' | 't') =>
  `jsonb_build_object(${t.keyColumns.map((c, i) => `'${c.name.replace(/'/g, "''")}', ${alias === 's' ? `s.k${i}` : `t.${quoteIdent(c.name)}`}`).join(', ')})`;

export function missingSql(t: TargetTable, limit: number): string {
  return `SELECT ${keyObject(t, 's')} AS key FROM ${STAGING} s
WHERE s._op = 'u' AND NOT EXISTS (SELECT 1 FROM ${liveRelation(t)} t WHERE ${keyJoin(t)}) LIMIT ${limit}`;
}

export function extraSql(t: TargetTable, limit: number): string {
  return `SELECT ${keyObject(t, 't')} AS key FROM ${liveRelation(t)} t
WHERE NOT EXISTS (SELECT 1 FROM ${STAGING} s WHERE s._op = 'u' AND ${keyJoin(t)}) LIMIT ${limit}`;
}

/** Mismatched rows with the differing columns and both sides' values (as JSON). */
export function mismatchSql(t: TargetTable, limit: number): string {
  const cols = t.valueColumns.map((c, i) => `CASE WHEN ${differs(t, i)} THEN '${c.name.replace(/'/g, "''")}' END`);
  const pairs = (alias: 's' | 't') =>
    t.valueColumns.length === 0
      ? `'{}'::jsonb`
      : `jsonb_strip_nulls(jsonb_build_object(${t.valueColumns.map((c, i) => `'${c.name.replace(/'/g, "''")}', CASE WHEN ${differs(t, i)} THEN to_jsonb(${alias === 's' ? `s.v${i}` : `t.${quoteIdent(c.name)}`}) END`).join(', ')}))`;
  return `SELECT ${keyObject(t, 's')} AS key, array_remove(ARRAY[${cols.length ? cols.join(', ') : 'NULL'}]::text[], NULL) AS columns,
  ${pairs('s')} AS source, ${pairs('t')} AS target
FROM ${STAGING} s JOIN ${liveRelation(t)} t ON ${keyJoin(t)}
WHERE s._op = 'u' AND (${anyDiffers(t)}) LIMIT ${limit}`;
}

/**
 * Repair, expressed as sink changes at version `$1` (the reconcile's start, µs) so the sink's own
 * version-guarded apply makes the fixes: rows only in the target become deletes (first, while the
 * staging still holds every source row), then rows equal in both are dropped from the staging. A row changed by the pipeline after the reconcile started is newer
 * than the repair and keeps its value.
 */
export function prepareRepairSql(t: TargetTable): string[] {
  const tgt = liveRelation(t);
  return [
    `INSERT INTO ${STAGING} (_op, _ts, _del, ${t.keyColumns.map((_, i) => `k${i}`).join(', ')}${t.valueColumns.map((_, i) => `, m${i}`).join('')})
SELECT 'd', $1, NULL, ${t.keyColumns.map((c) => `t.${quoteIdent(c.name)}`).join(', ')}${t.valueColumns.map(() => ', 0').join('')}
FROM ${tgt} t WHERE NOT EXISTS (SELECT 1 FROM ${STAGING} s WHERE s._op = 'u' AND ${keyJoin(t)})`,
    `DELETE FROM ${STAGING} s USING ${tgt} t WHERE s._op = 'u' AND ${keyJoin(t)} AND NOT (${anyDiffers(t)})`,
  ];
}
