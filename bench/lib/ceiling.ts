/**
 * The PostgreSQL ceiling: the same changes applied from Node straight into PostgreSQL, the way a
 * perfect sink would (no Kafka, no Avro): per batch one transaction of
 * COPY into a temp staging table → dedup per key (last seq wins) → DELETE the deleted keys and
 * INSERT … ON CONFLICT DO UPDATE the rest, version-guarded on seq. Partial updates keep untouched
 * columns (COALESCE), which is close to, and cheaper than, a sink's exact touched-flags apply.
 * `workers` connections apply disjoint key sets in parallel.
 */
import type { Change, Workload } from '../workloads/types.js';
import { expectedState, keyString } from '../workloads/types.js';
import { copyLanes, copyValue, createTableSql, isDone, qi, readProgress, withPg } from './pg.js';

export interface CeilingResult {
  rows: number;
  seconds: number;
  rowsPerSec: number;
  batchSize: number;
  connections: number;
  verified: boolean;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export async function runCeiling(w: Workload, changes: Change[], schema: string, opts: { workers: number; batchSize: number }): Promise<CeilingResult> {
  const table = w.table;
  await withPg(async (c) => {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${qi(schema)}`);
    await c.query(createTableSql(w, schema));
  });
  const cols = w.columns;
  const keyCols = cols.filter((c) => c.kind !== 'regular');
  const valCols = cols.filter((c) => c.kind === 'regular');
  const target = `${qi(schema)}.${qi(table)}`;
  const stgCols = [...cols.map((c) => qi(c.name)), '_op', '_seq'];
  const pkList = keyCols.map((c) => qi(c.name)).join(', ');
  const applySql = `WITH d AS (SELECT DISTINCT ON (${pkList}) * FROM stg ORDER BY ${pkList}, _seq DESC),
    del AS (DELETE FROM ${target} t USING d WHERE d._op = 'd' AND ${keyCols.map((c) => `t.${qi(c.name)} = d.${qi(c.name)}`).join(' AND ')})
    INSERT INTO ${target} (${cols.map((c) => qi(c.name)).join(', ')})
    SELECT ${cols.map((c) => qi(c.name)).join(', ')} FROM d WHERE d._op <> 'd'
    ON CONFLICT (${pkList}) DO UPDATE SET ${valCols.map((c) => `${qi(c.name)} = COALESCE(EXCLUDED.${qi(c.name)}, ${target}.${qi(c.name)})`).join(', ')}
    WHERE ${target}.seq IS NULL OR ${target}.seq < EXCLUDED.seq`;

  // Split by key so parallel connections never touch the same row.
  const lanes: Change[][] = Array.from({ length: opts.workers }, () => []);
  for (const ch of changes) lanes[hash(keyString(w, ch.key)) % opts.workers]!.push(ch);

  const seconds = await copyLanes(lanes, {
    batchSize: opts.batchSize,
    setup: `CREATE TEMP TABLE stg (LIKE ${target}, _op char(1), _seq bigint) ON COMMIT DELETE ROWS`,
    copySql: `COPY stg (${stgCols.join(', ')}) FROM STDIN`,
    line: (ch) => {
      const row = { ...ch.key, ...(ch.cells ?? {}) };
      return `${cols.map((col) => copyValue(col.cql, row[col.name])).join('\t')}\t${ch.op}\t${ch.seq}\n`;
    },
    after: applySql,
  });
  const verified = await withPg(async (c) => isDone(await readProgress(c, schema, table), expectedState(w, changes)));
  return { rows: changes.length, seconds, rowsPerSec: changes.length / seconds, batchSize: opts.batchSize, connections: opts.workers, verified };
}
