/**
 * clusteringCompareSql on PostgreSQL against a model of ScyllaDB's clustering order: every key and
 * bound over {1, 2, 3} per column, every direction pattern of 1–3 columns, every operator. The model
 * is the order as ScyllaDB defines it (column by column, the first difference decides, a DESC
 * column's comparison reversed), written independently of the SQL's runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { clusteringCompareSql, type ClusteringOp } from '../../../src/sink/core/clustering-order-sql.js';
import { pgPool } from './sink-harness.js';

afterAll(async () => {
  await pgPool.end();
});

const DOMAIN = [1, 2, 3];

function tuples(n: number): number[][] {
  let out: number[][] = [[]];
  for (let i = 0; i < n; i++) out = out.flatMap((t) => DOMAIN.map((v) => [...t, v]));
  return out;
}

/** ScyllaDB's prefix comparison: sign of the first differing column, reversed for a DESC one. */
function tri(k: number[], b: number[], desc: boolean[]): number {
  for (let i = 0; i < k.length; i++) {
    if (k[i] !== b[i]) return (k[i]! < b[i]! ? -1 : 1) * (desc[i] ? -1 : 1);
  }
  return 0;
}

const HOLDS: Record<ClusteringOp, (c: number) => boolean> = { '<': (c) => c < 0, '<=': (c) => c <= 0, '>': (c) => c > 0, '>=': (c) => c >= 0 };

describe('clustering-order comparison on PostgreSQL', () => {
  it('selects exactly the pairs ScyllaDB orders that way, for every direction pattern and operator', async () => {
    let checked = 0;
    for (let n = 1; n <= 3; n++) {
      const keys = tuples(n);
      const rows = (alias: string) => `(VALUES ${keys.map((t) => `(${t.join(', ')})`).join(', ')}) AS ${alias}(${keys[0]!.map((_, i) => `${alias}${i}`).join(', ')})`;
      for (const desc of tuples(n)
        .filter((t) => t.every((v) => v <= 2))
        .map((t) => t.map((v) => v === 2))) {
        for (const op of ['<', '<=', '>', '>='] as const) {
          const lhs = keys[0]!.map((_, i) => `k.k${i}`);
          const rhs = keys[0]!.map((_, i) => `b.b${i}`);
          const sql = `SELECT concat_ws(',', ${[...lhs, ...rhs].join(', ')}) AS pair FROM ${rows('k')} CROSS JOIN ${rows('b')} WHERE ${clusteringCompareSql(lhs, rhs, desc, op)} ORDER BY 1`;
          const got = (await pgPool.query<{ pair: string }>(sql)).rows.map((r) => r.pair);
          const want = keys.flatMap((k) => keys.filter((b) => HOLDS[op](tri(k, b, desc))).map((b) => [...k, ...b].join(','))).sort();
          expect({ desc, op, pairs: got }).toEqual({ desc, op, pairs: want });
          checked++;
        }
      }
    }
    expect(checked).toBe((2 + 4 + 8) * 4);
  }, 60_000);
});
