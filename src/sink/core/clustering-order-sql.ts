/**
 * Comparing a clustering key with a range bound in ScyllaDB's clustering order, in SQL.
 *
 * ScyllaDB states a range delete in clustering order (a range tombstone's start sorts first in the
 * partition), and a column declared `DESC` sorts its values backwards: `ck > 5` on such a column is
 * the range from the partition's start to 5 exclusive (statement_restrictions.cc `reverse_if_reqd`;
 * cdc/log.cc `range_delete` logs `rt.start` and `rt.end` as they are). Clustering order compares
 * column by column, lexicographically, each column by its own type's order (a DESC column's type is
 * `reversed_type_impl`, which compares backwards). PostgreSQL's row
 * comparison is lexicographic with every column ascending, so a prefix whose columns all run one way
 * is one row comparison (flipped when they all run DESC), and a mixed prefix compares run by run.
 * What stays PostgreSQL's is the order of values of one column (text collation, uuid byte order).
 */
import type { TargetTable } from './target-table.js';

export type ClusteringOp = '<' | '<=' | '>' | '>=';

const FLIP: Record<ClusteringOp, ClusteringOp> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** One SQL value: the expression itself for one column, else a row constructor. */
const tuple = (xs: string[]): string => (xs.length === 1 ? xs[0]! : `ROW(${xs.join(', ')})`);

/**
 * `lhs op rhs` in clustering order, as SQL: `lhs` and `rhs` are expressions for the same clustering
 * columns (a prefix, in clustering order, none NULL), `desc[i]` whether column i is declared DESC
 * (missing = ASC).
 *
 * Columns are cut into runs of one direction; `lhs > rhs` holds when some run compares `>` in its
 * direction and every run before it is equal, `lhs >= rhs` when, in addition, the last run may
 * compare `>=` (all equal). So an all-ASC prefix gives exactly the row comparison it gave before.
 */
export function clusteringCompareSql(lhs: string[], rhs: string[], desc: readonly boolean[], op: ClusteringOp): string {
  if (lhs.length === 0 || lhs.length !== rhs.length) throw new Error(`clustering comparison of ${lhs.length} with ${rhs.length} columns`);
  const runs: { from: number; to: number; desc: boolean }[] = [];
  lhs.forEach((_, i) => {
    const d = desc[i] === true;
    const last = runs[runs.length - 1];
    if (last && last.desc === d) last.to = i + 1;
    else runs.push({ from: i, to: i + 1, desc: d });
  });
  const strict = op.slice(0, 1) as ClusteringOp;
  const cmp = (r: (typeof runs)[number], o: ClusteringOp) => `${tuple(lhs.slice(r.from, r.to))} ${r.desc ? FLIP[o] : o} ${tuple(rhs.slice(r.from, r.to))}`;
  if (runs.length === 1) return cmp(runs[0]!, op);
  const terms = runs.map((r, j) => {
    const equal = runs.slice(0, j).map((e) => `${tuple(lhs.slice(e.from, e.to))} = ${tuple(rhs.slice(e.from, e.to))}`);
    return `(${[...equal, cmp(r, j === runs.length - 1 ? op : strict)].join(' AND ')})`;
  });
  return `(${terms.join(' OR ')})`;
}

/**
 * Whether each key column of `t` from position `from` on is declared DESC: the clustering columns'
 * flags (TargetTable.descending), none for partition key columns or when `t` does not know them.
 */
export function descendingFrom(t: Pick<TargetTable, 'partitionKeyLength' | 'descending' | 'keyColumns'>, from: number): boolean[] {
  const p = t.partitionKeyLength;
  return t.keyColumns.slice(from).map((_, i) => (p !== undefined && from + i >= p ? t.descending?.[from + i - p] === true : false));
}
