/**
 * The PostgreSQL ceiling: the same changes applied from Node straight into PostgreSQL, the way a
 * perfect sink would (no Kafka, no Avro): per batch one transaction of
 * COPY into a temp staging table → dedup per key (last seq wins) → DELETE the deleted keys and
 * INSERT … ON CONFLICT DO UPDATE the rest, version-guarded on seq. Partial updates keep untouched
 * columns (COALESCE), which is close to, and cheaper than, a sink's exact touched-flags apply.
 * `workers` connections apply disjoint key sets in parallel.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pgCopy from 'pg-copy-streams';
import type { Change, Workload } from '../workloads/types.js';
import { expectedState, keyString } from '../workloads/types.js';
import { copyValue, createTableSql, isDone, pgClient, qi, readProgress, withPg } from './pg.js';

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

  const t0 = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      const c = pgClient();
      await c.connect();
      try {
        await c.query(`CREATE TEMP TABLE stg (LIKE ${target}, _op char(1), _seq bigint) ON COMMIT DELETE ROWS`);
        for (let i = 0; i < lane.length; i += opts.batchSize) {
          const batch = lane.slice(i, i + opts.batchSize);
          await c.query('BEGIN');
          const lines = function* () {
            for (const ch of batch) {
              const row = { ...ch.key, ...(ch.cells ?? {}) };
              yield `${cols.map((col) => copyValue(col.cql, row[col.name])).join('\t')}\t${ch.op}\t${ch.seq}\n`;
            }
          };
          await pipeline(Readable.from(lines()), c.query(pgCopy.from(`COPY stg (${stgCols.join(', ')}) FROM STDIN`)));
          await c.query(applySql);
          await c.query('COMMIT');
        }
      } finally {
        await c.end().catch(() => undefined);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const verified = await withPg(async (c) => isDone(await readProgress(c, schema, table), expectedState(w, changes)));
  return { rows: changes.length, seconds, rowsPerSec: changes.length / seconds, batchSize: opts.batchSize, connections: opts.workers, verified };
}
