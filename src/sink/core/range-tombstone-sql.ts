/**
 * Range tombstones (docs/sink.md "Version guard and tombstones"). ScyllaDB writes a partition delete
 * as a partition tombstone and a range delete as a range tombstone (a clustering-prefix interval);
 * either shadows every write older than it to any row it covers, including rows the replica never
 * held (ScyllaDB docs, "Tombstones": "range tombstones" and "partition tombstones"). The sink's
 * barrier delete (apply-sql.ts `barrierDeleteSql`) can only tombstone the keys PostgreSQL holds when
 * it applies; a late, older write of another key in the range would show. So each partition or
 * range delete of a clustered table is also kept here, with its bounds, and the MERGE refuses a
 * staged cell or marker not newer than the newest range tombstone covering its key.
 *
 * `_cdc_range_tombstones_<table>`: the partition key columns (typed), `_cdc_bounds` (the bounds as
 * text: the row's identity, so a replayed delete raises one row's time), per side the bound's length
 * (0 = unbounded), whether it is inclusive and its values (typed, one column per clustering
 * position, NULL past the length), and the delete's write time. A partition delete is the interval
 * with both sides unbounded. Primary key (partition key, `_cdc_bounds`): the MERGE looks up one
 * partition's intervals by its leading columns.
 *
 * Bounds are kept as ScyllaDB states them, in clustering order (the start sorts first in the
 * partition, each column in its declared direction), and compared as barrierDeleteSql does (a prefix
 * bound compares the prefix columns only, clustering-order-sql.ts), so what a delete removes and what
 * its tombstone refuses are the same rows.
 */
import { TS_COLUMN, qualified, quoteIdent, rangeTombstoneTable, tombstoneTable } from '../../core/sql-ident.js';
import type { TargetColumn, TargetTable } from './target-table.js';
import type { RangeBound, RowChange } from './types.js';
import { clusteringCompareSql, descendingFrom, type ClusteringOp } from './clustering-order-sql.js';

type Side = 'lo' | 'hi';
const BOUNDS = quoteIdent('_cdc_bounds');
const TS = quoteIdent(TS_COLUMN);
const lenCol = (side: Side) => quoteIdent(`_cdc_${side}_len`);
const inclCol = (side: Side) => quoteIdent(`_cdc_${side}_incl`);
const valueCol = (side: Side, i: number) => quoteIdent(`_cdc_${side}_${i + 1}`);

/** The partition key and clustering columns of `t`, or undefined when `t` keeps no range tombstones. */
export function clusteringOf(t: TargetTable): { pk: TargetColumn[]; ck: TargetColumn[] } | undefined {
  const p = t.partitionKeyLength;
  if (p === undefined || p < 1 || p >= t.keyColumns.length) return undefined;
  return { pk: t.keyColumns.slice(0, p), ck: t.keyColumns.slice(p) };
}

export function createRangeTombstoneTableSql(schema: string, table: string, keyColumns: TargetColumn[], partitionKeyLength: number): string {
  const pk = keyColumns.slice(0, partitionKeyLength);
  const ck = keyColumns.slice(partitionKeyLength);
  const defs = pk.map((c) => `${quoteIdent(c.name)} ${c.pgType} NOT NULL`);
  defs.push(`${BOUNDS} text NOT NULL`);
  for (const side of ['lo', 'hi'] as const) {
    defs.push(`${lenCol(side)} smallint NOT NULL`, `${inclCol(side)} boolean NOT NULL`, ...ck.map((c, i) => `${valueCol(side, i)} ${c.pgType}`));
  }
  defs.push(`${TS} bigint NOT NULL`);
  const key = [...pk.map((c) => quoteIdent(c.name)), BOUNDS].join(', ');
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, rangeTombstoneTable(table))} (\n  ${defs.join(',\n  ')},\n  PRIMARY KEY (${key})\n)`;
}

/**
 * Whether `t` keeps any range tombstone (one row: `any`), or undefined when it keeps none by design.
 * Most tables never see a partition or range delete; the writer asks this first in the batch's
 * transaction and leaves the lookup out of the MERGE when the answer is no. Safe: a range tombstone
 * of a partition this batch writes comes from this sink (one Kafka partition per ScyllaDB partition),
 * either committed before or written earlier in this same transaction, and both are visible here.
 */
export function anyRangeTombstoneSql(t: TargetTable): string | undefined {
  return clusteringOf(t) ? `SELECT EXISTS (SELECT 1 FROM ${qualified(t.schema, rangeTombstoneTable(t.table))}) AS any` : undefined;
}

/** An empty side is unbounded whatever its flag says: one identity for the same interval. */
const norm = (b: RangeBound | undefined): RangeBound => (b && b.values.length > 0 ? b : { values: [], inclusive: true });

/**
 * Remembers a partition delete (both sides unbounded) or a range delete at the change's write time,
 * or undefined when the change does not name exactly one partition of `t` (a key prefix of another
 * length than the partition key: then only the covered stored keys are tombstoned).
 */
export function upsertRangeTombstoneSql(t: TargetTable, c: RowChange): { text: string; values: (string | null)[] } | undefined {
  const cl = clusteringOf(t);
  if (!cl || (c.kind !== 'partition_delete' && c.kind !== 'range_delete')) return undefined;
  const prefix = c.key.findIndex((k) => k === null);
  if (prefix !== cl.pk.length) return undefined;
  const values: (string | null)[] = [];
  const p = (v: string | null, type: string) => {
    values.push(v);
    return `$${values.length}::${type}`;
  };
  const cols = cl.pk.map((col) => quoteIdent(col.name));
  const vals = cl.pk.map((col, i) => p(c.key[i]!, col.pgType));
  const lo = norm(c.kind === 'range_delete' ? c.range?.start : undefined);
  const hi = norm(c.kind === 'range_delete' ? c.range?.end : undefined);
  if (lo.values.length > cl.ck.length || hi.values.length > cl.ck.length) return undefined;
  cols.push(BOUNDS);
  vals.push(p(JSON.stringify([lo.inclusive, lo.values, hi.inclusive, hi.values]), 'text'));
  for (const [side, b] of [['lo', lo] as const, ['hi', hi] as const]) {
    cols.push(lenCol(side), inclCol(side), ...b.values.map((_, i) => valueCol(side, i)));
    vals.push(String(b.values.length), b.inclusive ? 'true' : 'false', ...b.values.map((v, i) => p(v, cl.ck[i]!.pgType)));
  }
  cols.push(TS);
  vals.push(p(c.tsUs, 'bigint'));
  return {
    text: `INSERT INTO ${qualified(t.schema, rangeTombstoneTable(t.table))} AS r (${cols.join(', ')}) VALUES (${vals.join(', ')})
ON CONFLICT (${[...cl.pk.map((col) => quoteIdent(col.name)), BOUNDS].join(', ')}) DO UPDATE SET ${TS} = GREATEST(r.${TS}, EXCLUDED.${TS})`,
    values,
  };
}

/**
 * Whether side `side` of interval `r` admits the clustering key `key` (SQL expressions in
 * clustering order, `desc` each one's direction): unbounded, or for the bound's length L the key's
 * first L columns compare `>=`/`>` (lower side) or `<=`/`<` (upper side) with its values in
 * clustering order (clustering-order-sql.ts).
 */
function sideAdmits(side: Side, key: string[], desc: boolean[]): string {
  const terms = [`r.${lenCol(side)} = 0`];
  key.forEach((_, i) => {
    const n = i + 1;
    const lhs = key.slice(0, n);
    const rhs = lhs.map((__, j) => `r.${valueCol(side, j)}`);
    const [strict, incl] = side === 'lo' ? (['>', '>='] as const) : (['<', '<='] as const);
    const cmp = (op: ClusteringOp) => clusteringCompareSql(lhs, rhs, desc, op);
    terms.push(`(r.${lenCol(side)} = ${n} AND CASE WHEN r.${inclCol(side)} THEN ${cmp(incl)} ELSE ${cmp(strict)} END)`);
  });
  return `(${terms.join(' OR ')})`;
}

/**
 * A join giving `<alias>._rt` per staged row: the newest range tombstone covering its key, NULL when
 * none. `staging` is the staging table, whose key columns are `k0…kn` (apply-sql.ts). Undefined when
 * `t` keeps no range tombstones.
 *
 * Shaped for the planner: the batch's distinct partitions each fetch their intervals by an index
 * scan (`OFFSET 0` keeps that subquery from being flattened into a join the planner may hash, which
 * read the whole range tombstone table per batch: 200 ms with 120k intervals, 5000 staged rows);
 * only the intervals found are joined with the staged keys. So the cost follows the partitions of
 * the batch, not the size of the range tombstone table, and a batch whose partitions have no
 * interval pays one index probe per partition.
 */
export function coveringRangeJoin(t: TargetTable, staging: string, alias: string): string | undefined {
  const cl = clusteringOf(t);
  if (!cl) return undefined;
  const p = cl.pk.length;
  const pks = cl.pk.map((_, i) => `k${i}`);
  const keys = t.keyColumns.map((_, i) => `x.k${i}`);
  const conds = pks.map((k) => `x.${k} = p.${k}`);
  const desc = descendingFrom(t, p);
  conds.push(sideAdmits('lo', keys.slice(p), desc), sideAdmits('hi', keys.slice(p), desc));
  const rtab = qualified(t.schema, rangeTombstoneTable(t.table));
  const byPartition = cl.pk.map((col, i) => `i.${quoteIdent(col.name)} = p.k${i}`).join(' AND ');
  const on = t.keyColumns.map((_, i) => `${alias}.k${i} = s.k${i}`).join(' AND ');
  return `LEFT JOIN (SELECT ${keys.join(', ')}, max(r.${TS}) AS _rt
         FROM (SELECT DISTINCT ${pks.join(', ')} FROM ${staging}) AS p
         CROSS JOIN LATERAL (SELECT * FROM ${rtab} AS i WHERE ${byPartition} OFFSET 0) AS r
         JOIN ${staging} AS x ON ${conds.join('\n           AND ')}
         GROUP BY ${keys.join(', ')}) AS ${alias} ON ${on}`;
}

/**
 * The staged rows (`s`, from `staging`, keys `k0…kn`) with what shadows them: the key's row
 * tombstone (`b`) and, unless `noRangeTombstones`, the newest range tombstone covering the key
 * (`rt._rt`; `rangeTerm` is it with a trailing comma, for a GREATEST list). Shared by the MERGE
 * (apply-sql.ts) and the plain upsert (plain-upsert-sql.ts), which judge a row against the same tombstones.
 */
export function stagedWithTombstones(t: TargetTable, staging: string, noRangeTombstones?: boolean): { from: string; rangeTerm: string } {
  const ranges = noRangeTombstones ? undefined : coveringRangeJoin(t, staging, 'rt');
  const byKey = t.keyColumns.map((c, i) => `b.${quoteIdent(c.name)} = s.k${i}`).join(' AND ');
  return {
    from: `${staging} AS s LEFT JOIN ${qualified(t.schema, tombstoneTable(t.table))} AS b ON ${byKey}${ranges ? `\n       ${ranges}` : ''}`,
    rangeTerm: ranges ? 'rt._rt, ' : '',
  };
}
