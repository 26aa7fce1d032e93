/**
 * Set-based apply of one rows step through a temp staging table (docs/sink.md):
 *
 *   COPY   staging ← folded rows (one per key; per column a value, a mode, a write time, delta extras)
 *   DELETE target rows of op=d rows that keep nothing newer than the delete
 *   INSERT tombstones (key + time) of every folded row tombstone into the side table
 *   INSERT … ON CONFLICT the plain rows (whole row, one write time: plain-upsert-sql.ts), which leave the staging table
 *   MERGE  every staged row left, cell by cell (`CASE WHEN <cell applies> THEN staged ELSE target END`)
 *
 * Version guard, per cell (ScyllaDB is last-write-wins per cell, by write time): the target keeps
 * each cell's write time in `_cdc_cts` (jsonb `{column: µs, "_marker": µs}`) and the row's newest
 * write time in `_cdc_ts_us`. A staged cell applies when its time is >= the stored cell's (equal =
 * the next change of the same Scylla batch, or an idempotent replay) and > the key's row tombstone
 * (Scylla: a tombstone wins a tie). A row tombstone at T clears the cells and the row marker with
 * time <= T; the row is removed only when no live cell (non-null) and no live marker remain. A row
 * with `_cdc_cts` NULL (written before per-cell times, or by another tool) counts every cell and its
 * marker at `_cdc_ts_us` (absent: the oldest possible time).
 */
import { escapeCopyField } from './copy-encoder.js';
import type { FoldedRow } from './fold.js';
import { MARKER_KEY, listKeysColumn, qualified, quoteIdent, quoteLiteral, tombstoneTable } from '../../core/sql-ident.js';
import { CTS, MIN_TS, TS, newCts, storedTs } from './cell-times-sql.js';
import { CEXP, EXP_AT, deltaExpirySql, earliest, newCexp, storedExp } from './expiry-sql.js';
import { stagedExpiry } from './expiry.js';
import { andLive, isSoftDeleted, markDeletedSets, removeRowsSql, reviveSet } from './soft-delete-sql.js';
import { helperSchemaOf, type TargetColumn, type TargetTable } from './target-table.js';
import { stagedWithTombstones, upsertRangeTombstoneSql } from './range-tombstone-sql.js';
import type { RowChange } from './types.js';
import { clusteringCompareSql, descendingFrom, type ClusteringOp } from './clustering-order-sql.js';

export const STAGING = '_cdc_stg';
const MODE = { untouched: '0', set: '1', modify: '2' } as const;

/** Type of the `removed` delta column, or undefined when the column takes no deltas. */
export function removedType(c: TargetColumn): string | undefined {
  if (!c.collection) return undefined;
  if (c.collection === 'set') return c.storage === 'array' ? c.pgType : 'jsonb';
  return 'text[]';
}

export function stagingDdl(t: TargetTable): string {
  // _ts: newest write time of the row (op=d: the tombstone); _del: row tombstone under an upsert;
  // _mk: row marker time; t<i>: the cell's write time when it differs from _ts (NULL = _ts);
  // _ex: TTL expiries {column: µs, _marker: µs} of the staged cells and marker that have one;
  // _exmin: the earliest of them; _p: a plain row, which plain-upsert-sql.ts may apply.
  const defs = ['_op text NOT NULL', '_ts bigint NOT NULL', '_del bigint', '_mk bigint', '_ex jsonb', '_exmin bigint', '_p boolean NOT NULL DEFAULT false'];
  t.keyColumns.forEach((c, i) => defs.push(`k${i} ${c.pgType}`));
  t.valueColumns.forEach((c, i) => {
    defs.push(`v${i} ${c.pgType}`, `m${i} smallint NOT NULL`, `t${i} bigint`);
    const r = removedType(c);
    if (r) defs.push(`r${i} ${r}`);
    if (c.collection === 'list') defs.push(`l${i} text[]`);
  });
  return `CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (${defs.join(', ')}) ON COMMIT DROP`;
}

export const truncateStagingSql = `TRUNCATE ${STAGING}`;
export const copyStagingSql = `COPY ${STAGING} FROM STDIN`;

/** Per value column of a target: whether its staging columns include `r<i>` and `l<i>` (stagingDdl). */
interface StagedColumn {
  name: string;
  collection: boolean;
  hasR: boolean;
  hasL: boolean;
  /** The fields of an untouched cell: value, mode, time (+ removed, list keys), tab-joined. */
  untouched: string;
}
const layouts = new WeakMap<TargetTable, StagedColumn[]>();
function layoutOf(t: TargetTable): StagedColumn[] {
  let l = layouts.get(t);
  if (!l) {
    l = t.valueColumns.map((c) => {
      const hasR = removedType(c) !== undefined;
      const hasL = c.collection === 'list';
      return {
        name: c.name,
        collection: c.collection !== undefined,
        hasR,
        hasL,
        untouched: ['\\N', MODE.untouched, '\\N', ...(hasR ? ['\\N'] : []), ...(hasL ? ['\\N'] : [])].join('\t'),
      };
    });
    layouts.set(t, l);
  }
  return l;
}

const NULL_FIELD = '\\N';
const field = (v: string | null | undefined) => (v === null || v === undefined ? NULL_FIELD : escapeCopyField(v));

/**
 * One staging line (COPY text format) for a folded row; `plain`: plain-upsert-sql.ts `isPlainRow`.
 * Built as one string: it runs for every row of every batch, on the main thread.
 */
export function stagingLine(t: TargetTable, row: FoldedRow, plain = false): string {
  const del = row.op === 'delete';
  const [ex, exmin] = del ? [null, null] : stagedExpiry(row);
  let line = `${del ? 'd' : 'u'}\t${field(row.tsUs)}\t${field(del ? null : row.delTsUs)}\t${field(del ? null : row.markerTs)}\t${field(ex)}\t${field(exmin)}\t${plain ? 't' : 'f'}`;
  for (const k of row.key) line += `\t${field(k)}`;
  for (const c of layoutOf(t)) {
    const cell = row.cells[c.name];
    if (!cell) {
      line += `\t${c.untouched}`;
      continue;
    }
    const ts = row.cellTs?.[c.name];
    const cellTs = ts === undefined || ts === row.tsUs ? null : ts;
    if (cell.m === 'set') {
      line += `\t${field(cell.value)}\t${MODE.set}\t${field(cellTs)}`;
      if (c.hasR) line += `\t${NULL_FIELD}`;
    } else {
      line += `\t${field(cell.add)}\t${c.collection ? MODE.modify : MODE.set}\t${field(cellTs)}`;
      if (c.hasR) line += `\t${field(cell.remove)}`;
    }
    if (c.hasL) line += `\t${field(cell.listKeys)}`;
  }
  return `${line}\n`;
}

const keyMatch = (t: TargetTable, left: string, right: (i: number) => string) => t.keyColumns.map((c, i) => `${left}.${quoteIdent(c.name)} = ${right(i)}`).join(' AND ');

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

/** Whether target row `t` keeps a live marker or a live (non-null) cell newer than tombstone `d`. */
function aliveAfter(t: TargetTable, d: string): string {
  const terms = [`${storedTs(MARKER_KEY)} > ${d}`];
  for (const c of t.valueColumns) terms.push(`(t.${quoteIdent(c.name)} IS NOT NULL AND ${storedTs(c.name)} > ${d})`);
  return `(${terms.join(' OR ')})`;
}

/** Row deletes (op=d): the target row goes (or is marked, soft mode) when nothing in it is newer than the delete. */
export function deleteRowsSql(t: TargetTable): string {
  return removeRowsSql(
    t,
    `s._op = 'd' AND ${keyMatch(t, 't', (i) => `s.k${i}`)}
  AND NOT ${aliveAfter(t, 's._ts')}`,
    's._ts',
    `${STAGING} AS s`,
  );
}

/** Remembers every staged row tombstone (op=d, or a delete folded under an upsert). */
export function insertTombstonesSql(t: TargetTable): string {
  const tomb = qualified(t.schema, tombstoneTable(t.table));
  const keys = t.keyColumns.map((c) => quoteIdent(c.name)).join(', ');
  return `INSERT INTO ${tomb} AS b (${keys}, ${TS})
SELECT ${t.keyColumns.map((_, i) => `s.k${i}`).join(', ')}, max(CASE WHEN s._op = 'd' THEN s._ts ELSE s._del END) FROM ${STAGING} AS s
WHERE s._op = 'd' OR s._del IS NOT NULL
GROUP BY ${t.keyColumns.map((_, i) => `s.k${i}`).join(', ')}
ON CONFLICT (${keys}) DO UPDATE SET ${TS} = GREATEST(b.${TS}, EXCLUDED.${TS})`;
}

/**
 * The per-cell MERGE. In the USING row: `_sd` = the staged row tombstone, `_dt` = the effective one
 * (staged, stored in the side table, or the newest range tombstone covering the key; NULL = none),
 * `_dmin` = `_dt` or the oldest time. `noRangeTombstones`: the caller found the table's range
 * tombstone table empty in this transaction (`anyRangeTombstoneSql`), so the lookup is left out.
 */
export function mergeRowsSql(t: TargetTable, opts: { noRangeTombstones?: boolean } = {}): string {
  const tgt = qualified(t.schema, t.table);
  const sd = `CASE WHEN s._op = 'd' THEN s._ts ELSE s._del END`;
  const shadowed = stagedWithTombstones(t, STAGING, opts.noRangeTombstones);
  const dt = `GREATEST(b.${TS}, ${shadowed.rangeTerm}${sd})`;
  const cleared = (stored: string) => `(s._dt IS NOT NULL AND ${stored} <= s._dt)`;

  const mk = storedTs(MARKER_KEY);
  const mkApplies = `(s._mk IS NOT NULL AND s._mk >= ${mk} AND s._mk > s._dmin)`;
  const mkNew = `CASE WHEN ${mkApplies} THEN s._mk WHEN ${cleared(mk)} THEN NULL ELSE nullif(${mk}, ${MIN_TS}) END`;
  const mkInsApplies = `(s._mk IS NOT NULL AND s._mk > s._dmin)`;

  const sets: string[] = [];
  const insCols: string[] = t.keyColumns.map((c) => quoteIdent(c.name));
  const insVals: string[] = t.keyColumns.map((_, i) => `s.k${i}`);
  const anyApplies: string[] = [mkApplies, 's._sd IS NOT NULL'];
  const aliveNew: string[] = [`(${mkNew}) IS NOT NULL`];
  const aliveIns: string[] = [mkInsApplies];
  const ctsNew: [string, string][] = [[MARKER_KEY, mkNew]];
  const ctsIns: [string, string][] = [[MARKER_KEY, `CASE WHEN ${mkInsApplies} THEN s._mk END`]];
  const staged = (key: string) => `s._ex -> ${quoteLiteral(key)}`;
  const expNew: [string, string][] = [[MARKER_KEY, `CASE WHEN ${mkApplies} THEN ${staged(MARKER_KEY)} WHEN ${cleared(mk)} THEN NULL ELSE ${storedExp(MARKER_KEY)} END`]];
  const expIns: [string, string][] = [[MARKER_KEY, `CASE WHEN ${mkInsApplies} THEN ${staged(MARKER_KEY)} END`]];

  t.valueColumns.forEach((c, i) => {
    const col = quoteIdent(c.name);
    const ct = storedTs(c.name);
    const st = `coalesce(s.t${i}, s._ts)`;
    const applies = `(s.m${i} <> 0 AND ${st} >= ${ct} AND ${st} > s._dmin)`;
    const insApplies = `(s.m${i} <> 0 AND ${st} > s._dmin)`;
    const gone = cleared(ct);
    const base = `CASE WHEN ${gone} THEN NULL ELSE t.${col} END`;
    const src = { v: `s.v${i}`, r: `s.r${i}`, l: `s.l${i}` };
    const lk = quoteIdent(listKeysColumn(c.name));
    const baseKeys = c.collection === 'list' ? `CASE WHEN ${gone} THEN NULL ELSE t.${lk} END` : 'NULL';
    const stagedV = c.collection ? `CASE s.m${i} WHEN 1 THEN s.v${i} WHEN 2 THEN ${mergeExpr(helperSchemaOf(t), c, base, baseKeys, src)} END` : `s.v${i}`;
    const stagedIns = c.collection ? `CASE s.m${i} WHEN 1 THEN s.v${i} WHEN 2 THEN ${mergeExpr(helperSchemaOf(t), c, 'NULL', 'NULL', src)} END` : `s.v${i}`;
    const value = `CASE WHEN ${applies} THEN ${stagedV} ELSE ${base} END`;
    const valueIns = `CASE WHEN ${insApplies} THEN ${stagedIns} END`;
    sets.push(`${col} = ${value}`);
    insCols.push(col);
    insVals.push(valueIns);
    if (c.collection === 'list') {
      sets.push(
        `${lk} = CASE WHEN ${applies} THEN (CASE s.m${i} WHEN 1 THEN s.l${i} WHEN 2 THEN ${listKeysMergeExpr(helperSchemaOf(t), c, base, baseKeys, src)} END) ELSE ${baseKeys} END`,
      );
      insCols.push(lk);
      insVals.push(
        `CASE WHEN ${insApplies} THEN (CASE s.m${i} WHEN 1 THEN s.l${i} WHEN 2 THEN ${listKeysMergeExpr(helperSchemaOf(t), c, `NULL::${c.pgType}`, 'NULL', src)} END) END`,
      );
    }
    anyApplies.push(applies);
    aliveNew.push(`(${value}) IS NOT NULL`);
    aliveIns.push(`(${valueIns}) IS NOT NULL`);
    ctsNew.push([c.name, `CASE WHEN ${applies} THEN ${st} WHEN ${gone} THEN NULL ELSE nullif(${ct}, ${MIN_TS}) END`]);
    ctsIns.push([c.name, `CASE WHEN ${insApplies} THEN ${st} END`]);
    const exp = c.collection ? `CASE WHEN s.m${i} = 2 THEN ${deltaExpirySql(base, storedExp(c.name), staged(c.name))} ELSE ${staged(c.name)} END` : staged(c.name);
    expNew.push([c.name, `CASE WHEN ${applies} THEN ${exp} WHEN ${gone} THEN NULL ELSE ${storedExp(c.name)} END`]);
    expIns.push([c.name, `CASE WHEN ${insApplies} THEN ${staged(c.name)} END`]);
  });
  // _cdc_expires_at may come out earlier than the earliest entry (a staged expiry whose cell did not
  // apply, a stored one overwritten): the purge then visits the row once, finds nothing due and
  // sets it exactly. Computing it exactly here cost as much again as the rest of the expiry SQL.
  sets.push(`${CEXP} = ${newCexp(`t.${CEXP}`, expNew, `s._ex IS NULL AND t.${CEXP} IS NULL`)}`, `${EXP_AT} = ${earliest(`t.${EXP_AT}`, 's._exmin')}`);
  insCols.push(CEXP, EXP_AT);
  insVals.push(newCexp('NULL', expIns, 's._ex IS NULL'), earliest('NULL', 's._exmin'));
  sets.push(`${CTS} = ${newCts(`coalesce(t.${CTS}, '{}'::jsonb)`, `GREATEST(t.${TS}, s._ts)`, ctsNew)}`);
  sets.push(`${TS} = GREATEST(t.${TS}, s._ts)`);
  insCols.push(CTS, TS);
  insVals.push(newCts(`'{}'::jsonb`, 's._ts', ctsIns), 's._ts');
  const changes = `(${anyApplies.join(' OR ')})`;
  // A soft-deleted row is absent: a change that would insert it revives it instead (as inserted).
  const nk = t.keyColumns.length;
  const revive = insCols.slice(nk).map((col, i) => `${col} = ${insVals[nk + i]}`);
  const soft = t.deletedAt
    ? `WHEN MATCHED AND ${isSoftDeleted(t)} AND s._op = 'u' AND (${aliveIns.join(' OR ')}) THEN
  UPDATE SET ${[...revive, reviveSet].join(',\n    ')}
WHEN MATCHED AND ${isSoftDeleted(t)} THEN
  DO NOTHING
`
    : '';
  return `MERGE INTO ${tgt} AS t
USING (SELECT s.*, ${sd} AS _sd, ${dt} AS _dt, coalesce(${dt}, ${MIN_TS}) AS _dmin
       FROM ${shadowed.from}) AS s
ON ${keyMatch(t, 't', (i) => `s.k${i}`)}
${soft}WHEN MATCHED AND ${changes} AND NOT (${aliveNew.join(' OR ')}) THEN
  ${t.softDelete ? `UPDATE SET ${markDeletedSets('s._ts').join(', ')}` : 'DELETE'}
WHEN MATCHED AND ${changes} THEN
  UPDATE SET ${sets.join(',\n    ')}
WHEN NOT MATCHED AND s._op = 'u' AND (${aliveIns.join(' OR ')}) THEN
  INSERT (${insCols.join(', ')})
  VALUES (${insVals.join(', ')})`;
}

export interface ParamSql {
  text: string;
  values: (string | null)[];
}

/**
 * Partition delete or range delete at T, as three statements over the covered rows (same
 * parameters): tombstone every covered key at T; delete rows that keep nothing newer than T; clear
 * the cells and marker not newer than T of the rows that stay. On a clustered table whose partition
 * key is known, a fourth (own parameters) keeps the delete as a range tombstone, which refuses late
 * older writes of keys PostgreSQL does not hold yet (range-tombstone-sql.ts).
 */
export function barrierDeleteSql(t: TargetTable, c: RowChange): ParamSql[] {
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
    const desc = descendingFrom(t, prefixLen);
    const bound = (vals: string[], op: ClusteringOp) => {
      if (vals.length === 0) return;
      const cols = rest.slice(0, vals.length);
      const lhs = cols.map((col) => `t.${quoteIdent(col.name)}`);
      const rhs = cols.map((col, i) => p(vals[i]!, col.pgType));
      conds.push(clusteringCompareSql(lhs, rhs, desc, op));
    };
    // A prefix bound covers every row whose clustering prefix equals it when inclusive; comparing
    // only the prefix columns gives exactly that. The bounds are in clustering order: the start
    // sorts first, in each column's declared direction.
    bound(c.range.start.values, c.range.start.inclusive ? '>=' : '>');
    bound(c.range.end.values, c.range.end.inclusive ? '<=' : '<');
  }
  const d = p(c.tsUs, 'bigint');
  const where = conds.join(' AND ');
  const keys = t.keyColumns.map((col) => quoteIdent(col.name)).join(', ');
  const tgt = qualified(t.schema, t.table);
  const tomb = qualified(t.schema, tombstoneTable(t.table));
  const gone = (key: string) => `${storedTs(key)} <= ${d}`;
  const sets = t.valueColumns.flatMap((col) => {
    const q = quoteIdent(col.name);
    const out = [`${q} = CASE WHEN ${gone(col.name)} THEN NULL ELSE t.${q} END`];
    if (col.collection === 'list') out.push(`${quoteIdent(listKeysColumn(col.name))} = CASE WHEN ${gone(col.name)} THEN NULL ELSE t.${quoteIdent(listKeysColumn(col.name))} END`);
    return out;
  });
  const kept = (key: string) => `CASE WHEN ${gone(key)} THEN NULL ELSE nullif(${storedTs(key)}, ${MIN_TS}) END`;
  const entries: [string, string][] = [[MARKER_KEY, kept(MARKER_KEY)], ...t.valueColumns.map((col): [string, string] => [col.name, kept(col.name)])];
  sets.push(`${CTS} = ${newCts(`coalesce(t.${CTS}, '{}'::jsonb)`, `GREATEST(t.${TS}, ${d})`, entries)}`);
  sets.push(`${TS} = GREATEST(t.${TS}, ${d})`);
  const range = upsertRangeTombstoneSql(t, c);
  return [
    ...(range ? [range] : []),
    {
      text: `INSERT INTO ${tomb} AS b (${keys}, ${TS}) SELECT ${t.keyColumns.map((col) => `t.${quoteIdent(col.name)}`).join(', ')}, ${d} FROM ${tgt} AS t WHERE ${where}
ON CONFLICT (${keys}) DO UPDATE SET ${TS} = GREATEST(b.${TS}, EXCLUDED.${TS})`,
      values,
    },
    { text: removeRowsSql(t, `${where} AND NOT ${aliveAfter(t, d)}`, d), values },
    {
      text: `UPDATE ${tgt} AS t SET ${sets.join(', ')} WHERE ${where}${andLive(t)} AND (${[gone(MARKER_KEY), ...t.valueColumns.map((col) => `(t.${quoteIdent(col.name)} IS NOT NULL AND ${gone(col.name)})`)].join(' OR ')})`,
      values,
    },
  ];
}
