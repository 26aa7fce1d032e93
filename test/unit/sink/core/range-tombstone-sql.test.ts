/**
 * Range tombstones: which key columns are the partition key (from the source's own schemas), the
 * companion table's DDL and the statement that keeps a partition or range delete. What the SQL
 * refuses is checked on PostgreSQL in test/integration/sink/range-tombstones.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseCqlType } from '../../../../src/schema/cql-type.js';
import { envelopeSchema, keySchema } from '../../../../src/schema/cql-to-avro.js';
import { DEFAULT_CDC_OPTIONS, type TableModel } from '../../../../src/schema/table-model.js';
import { deriveTableShape } from '../../../../src/sink/core/table-shape.js';
import { anyRangeTombstoneSql, coveringRangeJoin, createRangeTombstoneTableSql, upsertRangeTombstoneSql } from '../../../../src/sink/core/range-tombstone-sql.js';
import { mergeRowsSql } from '../../../../src/sink/core/apply-sql.js';
import { tombstonesOf } from '../../../../src/sink/core/tombstone-purge-sql.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { RowChange } from '../../../../src/sink/core/types.js';

function model(pk: string[], ck: string[]): TableModel {
  const cols = [
    ...pk.map((name) => ({ name, kind: 'partition_key' as const })),
    ...ck.map((name) => ({ name, kind: 'clustering' as const })),
    { name: 'v', kind: 'regular' as const },
  ];
  return {
    keyspace: 'ks',
    table: 't',
    columns: cols.map((c) => ({ ...c, type: parseCqlType('int') })),
    partitionKey: pk,
    clusteringKey: ck,
    clusteringOrder: ck.map(() => 'ASC' as const),
    cdc: { ...DEFAULT_CDC_OPTIONS, enabled: true },
  };
}

const shapeOf = (m: TableModel) => deriveTableShape(keySchema(m) as never, envelopeSchema(m) as never).shape;

const col = (name: string, pgType: string) => ({ name, pgType, storage: 'scalar' as const });
const target: TargetTable = {
  schema: 's',
  table: 'ev',
  keyColumns: [col('a', 'integer'), col('b', 'text'), col('c1', 'integer'), col('c2', 'bigint')],
  valueColumns: [col('v', 'text')],
  partitionKeyLength: 2,
};

const change = (c: Partial<RowChange>): RowChange => ({
  ref: { topic: 't', partition: 0, offset: '0' },
  kind: 'partition_delete',
  op: 'd',
  key: ['1', 'x', null, null],
  cells: {},
  tsUs: '77',
  seq: 0,
  bytes: 0,
  ...c,
});

describe('range tombstones', () => {
  it('know the partition key from the Bound record of the source schema, and only from it', () => {
    expect(shapeOf(model(['a', 'b'], ['c'])).partitionKeyLength).toBe(2);
    expect(shapeOf(model(['a'], ['c1', 'c2'])).partitionKeyLength).toBe(1);
    // No clustering column: the whole key is the partition key.
    expect(shapeOf(model(['a'], [])).partitionKeyLength).toBe(1);
    // A schema without source.range_start (the Scylla connector's) says nothing.
    const m = model(['a'], ['c']);
    const env = envelopeSchema(m) as { fields: { name: string; type: { fields?: { name: string }[] } }[] };
    const source = env.fields.find((f) => f.name === 'source')!.type;
    source.fields = source.fields!.filter((f) => !f.name.startsWith('range_'));
    expect(deriveTableShape(keySchema(m) as never, env as never).shape.partitionKeyLength).toBeUndefined();
  });

  it('keep the partition key typed and both bounds per clustering position, keyed by partition and bounds', () => {
    const ddl = createRangeTombstoneTableSql('s', 'ev', target.keyColumns, 2);
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "s"."_cdc_range_tombstones_ev"');
    expect(ddl).toContain('"a" integer NOT NULL,\n  "b" text NOT NULL,\n  "_cdc_bounds" text NOT NULL');
    expect(ddl).toContain('"_cdc_lo_len" smallint NOT NULL,\n  "_cdc_lo_incl" boolean NOT NULL,\n  "_cdc_lo_1" integer,\n  "_cdc_lo_2" bigint');
    expect(ddl).toContain('"_cdc_hi_1" integer,\n  "_cdc_hi_2" bigint,\n  "_cdc_ts_us" bigint NOT NULL,\n  PRIMARY KEY ("a", "b", "_cdc_bounds")');
  });

  it('keep a partition delete as the interval unbounded on both sides, the same row as an open range delete', () => {
    const pd = upsertRangeTombstoneSql(target, change({}))!;
    expect(pd.values).toEqual(['1', 'x', '[true,[],true,[]]', '77']);
    expect(pd.text).toContain('VALUES ($1::integer, $2::text, $3::text, 0, true, 0, true, $4::bigint)');
    expect(pd.text).toContain('ON CONFLICT ("a", "b", "_cdc_bounds") DO UPDATE SET "_cdc_ts_us" = GREATEST(r."_cdc_ts_us", EXCLUDED."_cdc_ts_us")');
    const open = upsertRangeTombstoneSql(target, change({ kind: 'range_delete', range: { start: { values: [], inclusive: false }, end: { values: [], inclusive: true } } }))!;
    expect(open.values).toEqual(pd.values);
  });

  it('keep a range delete with its bound lengths, flags and typed values', () => {
    const rd = upsertRangeTombstoneSql(
      target,
      change({ kind: 'range_delete', range: { start: { values: ['3'], inclusive: false }, end: { values: ['5', '9'], inclusive: true } } }),
    )!;
    expect(rd.values).toEqual(['1', 'x', '[false,["3"],true,["5","9"]]', '3', '5', '9', '77']);
    expect(rd.text).toContain(
      '("a", "b", "_cdc_bounds", "_cdc_lo_len", "_cdc_lo_incl", "_cdc_lo_1", "_cdc_hi_len", "_cdc_hi_incl", "_cdc_hi_1", "_cdc_hi_2", "_cdc_ts_us") VALUES ($1::integer, $2::text, $3::text, 1, false, $4::integer, 2, true, $5::integer, $6::bigint, $7::bigint)',
    );
  });

  it('keep nothing for a change naming another key prefix than the partition key, or for a table without one', () => {
    expect(upsertRangeTombstoneSql(target, change({ key: ['1', null, null, null] }))).toBeUndefined();
    expect(upsertRangeTombstoneSql({ ...target, partitionKeyLength: undefined }, change({}))).toBeUndefined();
    expect(upsertRangeTombstoneSql(target, change({ kind: 'static_row' }))).toBeUndefined();
    expect(coveringRangeJoin({ ...target, partitionKeyLength: 4 }, '_cdc_stg', 'rt')).toBeUndefined();
    expect(mergeRowsSql({ ...target, partitionKeyLength: undefined })).not.toContain('_cdc_range_tombstones_');
    expect(anyRangeTombstoneSql({ ...target, partitionKeyLength: undefined })).toBeUndefined();
  });

  it('leave the lookup out of the MERGE when the writer found no range tombstone in the table', () => {
    expect(anyRangeTombstoneSql(target)).toBe('SELECT EXISTS (SELECT 1 FROM "s"."_cdc_range_tombstones_ev") AS any');
    expect(mergeRowsSql(target, { noRangeTombstones: true })).toBe(mergeRowsSql({ ...target, partitionKeyLength: undefined }));
    expect(mergeRowsSql(target, { noRangeTombstones: false })).toBe(mergeRowsSql(target));
  });

  it('make the MERGE take the newest covering range tombstone as a row tombstone of the staged key', () => {
    const sql = mergeRowsSql(target);
    expect(sql).toContain('GREATEST(b."_cdc_ts_us", rt._rt, CASE WHEN s._op = \'d\' THEN s._ts ELSE s._del END) AS _dt');
    // The batch's partitions fetch their intervals by index (not flattened into a join), then meet the staged keys.
    expect(sql).toContain('FROM (SELECT DISTINCT k0, k1 FROM _cdc_stg) AS p');
    expect(sql).toContain('CROSS JOIN LATERAL (SELECT * FROM "s"."_cdc_range_tombstones_ev" AS i WHERE i."a" = p.k0 AND i."b" = p.k1 OFFSET 0) AS r');
    expect(sql).toContain('JOIN _cdc_stg AS x ON x.k0 = p.k0\n           AND x.k1 = p.k1');
    expect(sql).toContain(
      '(r."_cdc_lo_len" = 2 AND CASE WHEN r."_cdc_lo_incl" THEN ROW(x.k2, x.k3) >= ROW(r."_cdc_lo_1", r."_cdc_lo_2") ELSE ROW(x.k2, x.k3) > ROW(r."_cdc_lo_1", r."_cdc_lo_2") END)',
    );
    expect(sql).toContain('(r."_cdc_hi_len" = 1 AND CASE WHEN r."_cdc_hi_incl" THEN x.k2 <= r."_cdc_hi_1" ELSE x.k2 < r."_cdc_hi_1" END)');
    expect(sql).toContain('GROUP BY x.k0, x.k1, x.k2, x.k3) AS rt ON rt.k0 = s.k0 AND rt.k1 = s.k1 AND rt.k2 = s.k2 AND rt.k3 = s.k3');
  });

  it('are purged under the name of their table', () => {
    expect(tombstonesOf('_cdc_range_tombstones_ev')).toBe('ev');
    expect(tombstonesOf('_cdc_tombstones_ev')).toBe('ev');
    expect(tombstonesOf('_cdc_tombstones__cdc_static_ev')).toBe('_cdc_static_ev');
  });
});
