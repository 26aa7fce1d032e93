/**
 * The copy limit: the table's final rows COPY'd straight into an empty target that has its primary
 * key index, in transactions of `batchSize` rows over `workers` connections. No staging table, no
 * upsert, no version guard, no Kafka: what PostgreSQL itself takes on this machine, the bound no
 * sink can pass. The ceiling (ceiling.ts) is what a perfect upserting sink would do; the gap between
 * the two is the cost of applying changes instead of loading rows.
 *
 * The rate is quoted in changes per second (the run's changes / the time to load their final rows),
 * the unit every other scenario uses; for an insert-only workload (users) rows and changes are equal.
 */
import type { Change, Workload } from '../workloads/types.js';
import { expectedState, keyString } from '../workloads/types.js';
import { copyLanes, copyValue, createTableSql, finalRows, isDone, qi, readProgress, withPg } from './pg.js';

export interface CopyLimitResult {
  changes: number;
  rowsCopied: number;
  seconds: number;
  /** changes / seconds */
  rowsPerSec: number;
  /** rows copied / seconds */
  copiedRowsPerSec: number;
  batchSize: number;
  connections: number;
  verified: boolean;
}

export async function runCopyLimit(w: Workload, changes: Change[], schema: string, opts: { workers: number; batchSize: number }): Promise<CopyLimitResult> {
  await withPg(async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${qi(schema)}`);
    await c.query(createTableSql(w, schema));
  });
  const rows = [...finalRows(changes, (k) => keyString(w, k)).values()];
  const target = `${qi(schema)}.${qi(w.table)}`;
  const copySql = `COPY ${target} (${w.columns.map((col) => qi(col.name)).join(', ')}) FROM STDIN`;
  // Round-robin lanes: the rows are distinct keys, so connections never conflict.
  const lanes: Record<string, unknown>[][] = Array.from({ length: opts.workers }, () => []);
  rows.forEach((row, i) => lanes[i % opts.workers]!.push(row));

  const seconds = await copyLanes(lanes, {
    batchSize: opts.batchSize,
    copySql,
    line: (row) => `${w.columns.map((col) => copyValue(col.cql, row[col.name])).join('\t')}\n`,
  });
  const verified = await withPg(async (c) => isDone(await readProgress(c, schema, w.table), expectedState(w, changes)));
  return {
    changes: changes.length,
    rowsCopied: rows.length,
    seconds,
    rowsPerSec: changes.length / seconds,
    copiedRowsPerSec: rows.length / seconds,
    batchSize: opts.batchSize,
    connections: opts.workers,
    verified,
  };
}
