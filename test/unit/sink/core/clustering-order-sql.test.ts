/**
 * Clustering-order comparisons: the SQL for each direction pattern, the DESC marks from the source's
 * own schema, and the statements that use them. What the SQL selects is checked on PostgreSQL against
 * a model of ScyllaDB's order in test/integration/sink/clustering-order.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseCqlType } from '../../../../src/schema/cql-type.js';
import { envelopeSchema, keySchema } from '../../../../src/schema/cql-to-avro.js';
import { DEFAULT_CDC_OPTIONS, type TableModel } from '../../../../src/schema/table-model.js';
import { deriveTableShape } from '../../../../src/sink/core/table-shape.js';
import { clusteringCompareSql, descendingFrom } from '../../../../src/sink/core/clustering-order-sql.js';
import { barrierDeleteSql, mergeRowsSql } from '../../../../src/sink/core/apply-sql.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { RowChange } from '../../../../src/sink/core/types.js';

function model(order: ('ASC' | 'DESC')[]): TableModel {
  const ck = order.map((_, i) => `c${i + 1}`);
  return {
    keyspace: 'ks',
    table: 't',
    columns: [{ name: 'pk', kind: 'partition_key' as const }, ...ck.map((name) => ({ name, kind: 'clustering' as const })), { name: 'v', kind: 'regular' as const }].map((c) => ({
      ...c,
      type: parseCqlType('int'),
    })),
    partitionKey: ['pk'],
    clusteringKey: ck,
    clusteringOrder: order,
    cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
  };
}

const shapeOf = (m: TableModel) => deriveTableShape(keySchema(m) as never, envelopeSchema(m) as never).shape;

const col = (name: string) => ({ name, pgType: 'integer', storage: 'scalar' as const });
const target = (descending?: boolean[]): TargetTable => ({
  schema: 's',
  table: 'ev',
  keyColumns: [col('pk'), col('c1'), col('c2')],
  valueColumns: [col('v')],
  partitionKeyLength: 1,
  ...(descending ? { descending } : {}),
});

const rangeDelete = (start: string[], startIncl: boolean, end: string[], endIncl: boolean): RowChange => ({
  ref: { topic: 't', partition: 0, offset: '0' },
  kind: 'range_delete',
  op: 'd',
  key: ['1', null, null],
  cells: {},
  tsUs: '77',
  seq: 0,
  bytes: 0,
  range: { start: { values: start, inclusive: startIncl }, end: { values: end, inclusive: endIncl } },
});

describe('clustering-order comparison', () => {
  it('is the plain row comparison when every column is ASC', () => {
    expect(clusteringCompareSql(['a'], ['x'], [], '>')).toBe('a > x');
    expect(clusteringCompareSql(['a', 'b'], ['x', 'y'], [false, false], '<=')).toBe('ROW(a, b) <= ROW(x, y)');
  });

  it('is the flipped row comparison when every column is DESC', () => {
    expect(clusteringCompareSql(['a'], ['x'], [true], '>')).toBe('a < x');
    expect(clusteringCompareSql(['a', 'b'], ['x', 'y'], [true, true], '>=')).toBe('ROW(a, b) <= ROW(x, y)');
    expect(clusteringCompareSql(['a', 'b'], ['x', 'y'], [true, true], '<')).toBe('ROW(a, b) > ROW(x, y)');
  });

  it('compares run by run when directions mix: strict before the last run, the operator itself in it', () => {
    expect(clusteringCompareSql(['a', 'b'], ['x', 'y'], [false, true], '>=')).toBe('((a > x) OR (a = x AND b <= y))');
    expect(clusteringCompareSql(['a', 'b'], ['x', 'y'], [true, false], '<')).toBe('((a > x) OR (a = x AND b < y))');
    expect(clusteringCompareSql(['a', 'b', 'c'], ['x', 'y', 'z'], [false, true, true], '>')).toBe('((a > x) OR (a = x AND ROW(b, c) < ROW(y, z)))');
    expect(clusteringCompareSql(['a', 'b', 'c'], ['x', 'y', 'z'], [true, false, true], '<=')).toBe('((a > x) OR (a = x AND b < y) OR (a = x AND b = y AND c >= z))');
  });

  it('refuses operands of different lengths', () => {
    expect(() => clusteringCompareSql(['a'], ['x', 'y'], [], '>')).toThrow('clustering comparison of 1 with 2 columns');
    expect(() => clusteringCompareSql([], [], [], '>')).toThrow();
  });

  it('reads the DESC columns from the Bound record of the source schema; a schema without the mark reads as ASC', () => {
    expect(shapeOf(model(['ASC', 'DESC'])).descending).toEqual([false, true]);
    expect(shapeOf(model(['DESC'])).descending).toEqual([true]);
    // All ASC: no mark in the schema (it stays what it was), nothing in the shape.
    expect(JSON.stringify(envelopeSchema(model(['ASC', 'ASC'])))).not.toContain('clustering_order');
    expect(shapeOf(model(['ASC', 'ASC'])).descending).toBeUndefined();
    // The mark changes the shape's fingerprint: a table made again with another order is a schema change.
    expect(shapeOf(model(['ASC', 'DESC'])).fingerprint).not.toBe(shapeOf(model(['ASC', 'ASC'])).fingerprint);
    const bound = JSON.stringify(envelopeSchema(model(['ASC', 'DESC'])));
    expect(bound).toContain(
      '"name":"Bound","fields":[{"name":"c1","type":["null",{"type":"int","cql_type":"int"}],"default":null},{"name":"c2","type":["null",{"type":"int","cql_type":"int"}],"default":null,"clustering_order":"DESC"}]',
    );
  });

  it('gives each key column its direction: partition key and unknown order ASC', () => {
    expect(descendingFrom(target([false, true]), 0)).toEqual([false, false, true]);
    expect(descendingFrom(target([false, true]), 1)).toEqual([false, true]);
    expect(descendingFrom(target(), 1)).toEqual([false, false]);
    expect(descendingFrom({ ...target([true, true]), partitionKeyLength: undefined }, 1)).toEqual([false, false]);
  });

  it('makes a range delete on a DESC column compare in clustering order (ck > 3 is logged with the end 3)', () => {
    // c1 = 2 AND c2 > 3 with c2 DESC: ScyllaDB logs start (2) inclusive, end (2, 3) exclusive.
    const [, tomb] = barrierDeleteSql(target([false, true]), rangeDelete(['2'], true, ['2', '3'], false));
    expect(tomb!.text).toContain('WHERE t."pk" = $1::integer AND t."c1" >= $2::integer AND ((t."c1" < $3::integer) OR (t."c1" = $3::integer AND t."c2" > $4::integer))');
    const [, asc] = barrierDeleteSql(target(), rangeDelete(['2'], true, ['2', '3'], false));
    expect(asc!.text).toContain('AND t."c1" >= $2::integer AND ROW(t."c1", t."c2") < ROW($3::integer, $4::integer)');
  });

  it('makes the MERGE admit a staged key into a DESC interval in clustering order', () => {
    const sql = mergeRowsSql(target([true, false]));
    expect(sql).toContain('(r."_cdc_lo_len" = 1 AND CASE WHEN r."_cdc_lo_incl" THEN x.k1 <= r."_cdc_lo_1" ELSE x.k1 < r."_cdc_lo_1" END)');
    expect(sql).toContain(
      '(r."_cdc_hi_len" = 2 AND CASE WHEN r."_cdc_hi_incl" THEN ((x.k1 > r."_cdc_hi_1") OR (x.k1 = r."_cdc_hi_1" AND x.k2 <= r."_cdc_hi_2")) ELSE ((x.k1 > r."_cdc_hi_1") OR (x.k1 = r."_cdc_hi_1" AND x.k2 < r."_cdc_hi_2")) END)',
    );
  });
});
