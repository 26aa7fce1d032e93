/**
 * TTL expiry in SQL (expiry.ts has the rules). Each target row keeps `_cdc_cexp`, jsonb
 * `{column: µs, "_marker": µs}`: when each cell and the row marker expire (absent = never; the
 * column NULL = nothing expires). `_cdc_expires_at` is when the purge must look at the row: its
 * earliest entry, or earlier (never later), written by every statement that changes the entries;
 * one partial index finds the rows due. (A generated column would be exact and simpler, but its
 * function, an aggregate over the jsonb, tripled the MERGE's time on TTL rows.) The purge then does what ScyllaDB's reads
 * do: an expired cell reads as NULL, an expired marker as no marker, and a row with neither a live
 * marker nor a live non-null cell does not exist (docs/sink.md, "TTL expiry").
 */
import {
  CEXP_COLUMN,
  DELETED_AT_COLUMN,
  EXPIRES_AT_COLUMN,
  MARKER_KEY,
  expiresAtIndex,
  listKeysColumn,
  qualified,
  quoteIdent,
  quoteLiteral,
  tombstoneTable,
} from '../../core/sql-ident.js';
import { CTS, MIN_TS, TS, jsonObject, storedTs } from './cell-times-sql.js';
import { usToTimestamptz } from './soft-delete-sql.js';
import type { TargetTable } from './target-table.js';

export const CEXP = quoteIdent(CEXP_COLUMN);
export const EXP_AT = quoteIdent(EXPIRES_AT_COLUMN);
const DEL = quoteIdent(DELETED_AT_COLUMN);

/** Stored expiry entry (jsonb number, or NULL = never) of a cell or the marker of target row `t`. */
export const storedExp = (key: string) => `t.${CEXP} -> ${quoteLiteral(key)}`;

/**
 * New `_cdc_cexp`: the stored object minus the entries of `keys` (marker + every known column),
 * plus `entries` (`[key, jsonb expiry or NULL]`, NULL = never); NULL when nothing expires.
 * `skip`: a condition under which the result is NULL without computing it (no TTL anywhere).
 */
export function newCexp(base: string, entries: [string, string][], skip: string): string {
  const keys = entries.map(([k]) => quoteLiteral(k)).join(', ');
  return `CASE WHEN ${skip} THEN NULL ELSE nullif(jsonb_strip_nulls((coalesce(${base}, '{}'::jsonb) - ARRAY[${keys}]::text[]) || ${jsonObject(entries)}), '{}'::jsonb) END`;
}

/**
 * New `_cdc_expires_at`: the earliest of `entries` (jsonb expiries, NULL = never; LEAST skips
 * NULLs). Entries of columns the writing schema does not know are not counted here; the purge
 * counts them once it visits the row for another reason.
 */
export function newExpiresAt(entries: [string, string][], skip: string): string {
  if (entries.length === 0) return 'NULL::timestamptz';
  return `CASE WHEN ${skip} THEN NULL ELSE ${usToTimestamptz(`LEAST(${entries.map(([, e]) => `(${e})::bigint`).join(', ')})`)} END`;
}

/** `_cdc_expires_at` after adding expiries whose earliest is `addedUs` (µs) to a row whose value is `stored`. */
export const earliest = (stored: string, addedUs: string) => `LEAST(${stored}, ${usToTimestamptz(addedUs)})`;

/** SET items writing both expiry columns. */
export const expirySets = (base: string, entries: [string, string][], skip: string, all: [string, string][] = entries) => [
  `${CEXP} = ${newCexp(base, entries, skip)}`,
  `${EXP_AT} = ${newExpiresAt(all, skip)}`,
];

/** The earliest entry of a `_cdc_cexp` value (jsonb SQL expression) above `above` (µs), as timestamptz. */
const minEntry = (cexp: string, above?: string) =>
  `(SELECT ${usToTimestamptz('min(x.v::bigint)')} FROM jsonb_each_text(${cexp}) AS x(k, v)${above ? ` WHERE x.v::bigint > ${above}` : ''})`;

/**
 * Expiry of a collection column after a delta (elements added) lands on it (elements are not timed one by one here):
 * the delta's own over no stored value; else never if either never expires, else the later one.
 */
export const deltaExpirySql = (storedValue: string, stored: string, delta: string) =>
  `CASE WHEN ${storedValue} IS NULL THEN ${delta} WHEN ${stored} IS NULL OR ${delta} IS NULL THEN NULL ELSE GREATEST(${stored}, ${delta}) END`;

/** Columns and index of expiry (new tables, and tables of earlier versions: nullable, no rewrite). */
export function expiryColumnsSql(schema: string, table: string): string[] {
  const tgt = qualified(schema, table);
  return [
    `ALTER TABLE ${tgt} ADD COLUMN IF NOT EXISTS ${CEXP} jsonb`,
    `ALTER TABLE ${tgt} ADD COLUMN IF NOT EXISTS ${EXP_AT} timestamptz`,
    `CREATE INDEX IF NOT EXISTS ${quoteIdent(expiresAtIndex(table))} ON ${tgt} (${EXP_AT}) WHERE ${EXP_AT} IS NOT NULL`,
  ];
}

/** Whether the part of row `t` under `key` has expired at `nowUs` (a bigint SQL expression). */
const expired = (key: string, nowUs: string) => `coalesce((t.${CEXP} ->> ${quoteLiteral(key)})::bigint <= ${nowUs}, false)`;

/** Whether target row `t` has a live marker or a live non-null cell at `nowUs` (ScyllaDB: the row exists). */
export function aliveAtSql(t: TargetTable, nowUs: string): string {
  const terms = [`(${storedTs(MARKER_KEY)} <> ${MIN_TS} AND NOT ${expired(MARKER_KEY, nowUs)})`];
  for (const c of t.valueColumns) terms.push(`(t.${quoteIdent(c.name)} IS NOT NULL AND NOT ${expired(c.name, nowUs)})`);
  return `(${terms.join(' OR ')})`;
}

/** `now()` in µs, exactly (extract returns numeric). */
export const NOW_US = `(extract(epoch FROM now()) * 1000000)::bigint`;

const keyList = (t: TargetTable, alias: string) => t.keyColumns.map((c) => `${alias}.${quoteIdent(c.name)}`).join(', ');
const keyMatch = (t: TargetTable) => t.keyColumns.map((c) => `t.${quoteIdent(c.name)} = d.${quoteIdent(c.name)}`).join(' AND ');
const notMarked = (t: TargetTable) => (t.deletedAt ? ` AND t.${DEL} IS NULL` : '');

/** Up to `limit` rows of `t` due at now that `cond` selects, locked (rows a sink is writing are skipped, next round). */
function dueRows(t: TargetTable, cond: string, limit: number): string {
  return `SELECT ${keyList(t, 't')}, t.${TS} AS _ts, t.${CEXP} AS _cexp FROM ${qualified(t.schema, t.table)} AS t
  WHERE t.${EXP_AT} <= now()${notMarked(t)} AND ${cond} LIMIT ${limit} FOR UPDATE OF t SKIP LOCKED`;
}

/**
 * Removes up to `limit` rows that no longer exist at now (every live part expired): DELETE, or in
 * soft mode the `_cdc_deleted_at` mark at the time the last part expired. The key is tombstoned at
 * the row's newest write time, as ScyllaDB's expired cells shadow older writes; a late older change
 * then cannot bring the row back. Returns the number of rows (`n`, and `spent`, the same).
 */
export function purgeRowsSql(t: TargetTable, limit: number): string {
  const tgt = qualified(t.schema, t.table);
  const keys = t.keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  const remove = t.softDelete
    ? `UPDATE ${tgt} AS t SET ${DEL} = LEAST(now(), (SELECT ${usToTimestamptz('max(v::bigint)')} FROM jsonb_each_text(d._cexp) AS x(k, v))), ${CEXP} = NULL, ${EXP_AT} = NULL FROM dead AS d WHERE ${keyMatch(t)} RETURNING 1`
    : `DELETE FROM ${tgt} AS t USING dead AS d WHERE ${keyMatch(t)} RETURNING 1`;
  return `WITH dead AS (${dueRows(t, `NOT ${aliveAtSql(t, NOW_US)}`, limit)}),
tomb AS (INSERT INTO ${qualified(t.schema, tombstoneTable(t.table))} AS b (${keys}, ${TS})
  SELECT ${keyList(t, 'd')}, d._ts FROM dead AS d WHERE d._ts IS NOT NULL
  ON CONFLICT (${keys}) DO UPDATE SET ${TS} = GREATEST(b.${TS}, EXCLUDED.${TS})),
gone AS (${remove})
SELECT count(*)::int AS n, count(*)::int AS spent FROM gone`;
}

/**
 * In up to `limit` rows that stay alive, sets the expired cells to NULL (list key companions too),
 * ends an expired marker, and drops the spent entries of `_cdc_cexp`. Cell write times stay: an
 * expired cell still shadows older writes (ScyllaDB turns it into a tombstone of the same time).
 * Returns the rows visited (`n`) and those in which something had expired (`spent`); the others
 * were due only because `_cdc_expires_at` was early, and now have it exact.
 */
export function purgeCellsSql(t: TargetTable, limit: number): string {
  const tgt = qualified(t.schema, t.table);
  const sets: string[] = [];
  for (const c of t.valueColumns) {
    const q = quoteIdent(c.name);
    sets.push(`${q} = CASE WHEN ${expired(c.name, NOW_US)} THEN NULL ELSE t.${q} END`);
    if (c.collection === 'list') {
      const lk = quoteIdent(listKeysColumn(c.name));
      sets.push(`${lk} = CASE WHEN ${expired(c.name, NOW_US)} THEN NULL ELSE t.${lk} END`);
    }
  }
  const mk = quoteLiteral(MARKER_KEY);
  sets.push(`${CTS} = CASE WHEN ${expired(MARKER_KEY, NOW_US)} THEN coalesce(t.${CTS}, '{}'::jsonb) || jsonb_build_object(${mk}, NULL) ELSE t.${CTS} END`);
  sets.push(`${CEXP} = (SELECT jsonb_object_agg(x.k, x.v) FROM jsonb_each(t.${CEXP}) AS x(k, v) WHERE x.v::text::bigint > ${NOW_US})`);
  sets.push(`${EXP_AT} = ${minEntry(`t.${CEXP}`, NOW_US)}`);
  return `WITH due AS (${dueRows(t, aliveAtSql(t, NOW_US), limit)}),
done AS (UPDATE ${tgt} AS t SET ${sets.join(',\n    ')} FROM due AS d WHERE ${keyMatch(t)}
  RETURNING EXISTS (SELECT 1 FROM jsonb_each_text(d._cexp) AS x(k, v) WHERE x.v::bigint <= ${NOW_US}) AS spent)
SELECT count(*)::int AS n, (count(*) FILTER (WHERE spent))::int AS spent FROM done`;
}

/**
 * The target as ScyllaDB would return it now (for reconcile): rows not marked deleted and alive
 * now, expired cells NULL. Key and value columns only.
 */
export function visibleRelation(t: TargetTable): string {
  const cols = [
    ...t.keyColumns.map((c) => `t.${quoteIdent(c.name)}`),
    ...t.valueColumns.map((c) => `CASE WHEN ${expired(c.name, NOW_US)} THEN NULL ELSE t.${quoteIdent(c.name)} END AS ${quoteIdent(c.name)}`),
  ];
  return `(SELECT ${cols.join(', ')} FROM ${qualified(t.schema, t.table)} AS t WHERE (t.${CEXP} IS NULL OR ${aliveAtSql(t, NOW_US)})${notMarked(t)})`;
}
