import { describe, expect, it } from 'vitest';
import { barrierDeleteSql, deleteRowsSql, insertTombstonesSql, mergeRowsSql, stagingDdl, stagingLine } from '../../../../src/sink/core/apply-sql.js';
import { staticRowUpdateSql } from '../../../../src/sink/core/static-row-sql.js';
import { classifyError } from '../../../../src/sink/core/classify-error.js';
import { createTableSql } from '../../../../src/sink/core/ddl-sql.js';
import { dlqHeaders } from '../../../../src/sink/core/dlq-headers.js';
import { quoteIdent } from '../../../../src/core/sql-ident.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { TableShape } from '../../../../src/sink/core/types.js';

const target: TargetTable = {
  schema: 'cdc data',
  table: 'Order"s',
  keyColumns: [
    { name: 'pk', pgType: 'text', storage: 'scalar' },
    { name: 'select', pgType: 'integer', storage: 'scalar' },
  ],
  valueColumns: [
    { name: 'Name', pgType: 'text', storage: 'scalar' },
    { name: 'tags', pgType: 'text[]', storage: 'array', collection: 'set' },
    { name: 'items', pgType: 'text[]', storage: 'array', collection: 'list' },
  ],
};

describe('SQL text', () => {
  it('quotes every identifier, doubling quotes', () => {
    expect(quoteIdent('Order"s')).toBe('"Order""s"');
    expect(mergeRowsSql(target)).toContain('MERGE INTO "cdc data"."Order""s" AS t');
    expect(mergeRowsSql(target)).toContain('t."select" = s.k1');
  });
  it('MERGE updates only touched columns, guarded per cell against cell times and tombstones', () => {
    const sql = mergeRowsSql(target);
    // cell i applies when staged (m<>0), not older than the stored cell, newer than the row tombstone
    const stored = `CASE WHEN t."_cdc_cts" ? 'Name' THEN coalesce((t."_cdc_cts" ->> 'Name')::bigint, (-9223372036854775808)::bigint) ELSE coalesce(t."_cdc_ts_us", (-9223372036854775808)::bigint) END`;
    expect(sql).toContain(
      `"Name" = CASE WHEN (s.m0 <> 0 AND coalesce(s.t0, s._ts) >= ${stored} AND coalesce(s.t0, s._ts) > s._dmin) THEN s.v0 ELSE CASE WHEN (s._dt IS NOT NULL AND ${stored} <= s._dt) THEN NULL ELSE t."Name" END END`,
    );
    expect(sql).toContain(`GREATEST(b."_cdc_ts_us", CASE WHEN s._op = 'd' THEN s._ts ELSE s._del END) AS _dt`);
    expect(sql).toContain('"_cdc_ts_us" = GREATEST(t."_cdc_ts_us", s._ts)');
    expect(sql).toMatch(/WHEN MATCHED AND .* AND NOT \(.*\) THEN\n {2}DELETE\nWHEN MATCHED AND .* THEN\n {2}UPDATE SET/s);
    expect(sql).toContain("WHEN NOT MATCHED AND s._op = 'u' AND ((s._mk IS NOT NULL AND s._mk > s._dmin) OR");
    expect(sql).toContain('"cdc data"."_cdc_set_merge"(');
    expect(sql).toContain('"_cdc_lk_items" = CASE WHEN (s.m2 <> 0');
    // cell times equal to the row time are implied (not stored)
    expect(sql).toContain(`- array_remove(ARRAY[CASE WHEN CASE WHEN (s._mk IS NOT NULL`);
  });
  it('row deletes keep rows with a newer live cell or marker; tombstones come from deletes and folded deletes', () => {
    expect(deleteRowsSql(target)).toContain(`AND NOT (CASE WHEN t."_cdc_cts" ? '_marker' THEN`);
    expect(deleteRowsSql(target)).toContain(`(t."Name" IS NOT NULL AND CASE WHEN t."_cdc_cts" ? 'Name'`);
    expect(insertTombstonesSql(target)).toContain("max(CASE WHEN s._op = 'd' THEN s._ts ELSE s._del END) FROM _cdc_stg AS s\nWHERE s._op = 'd' OR s._del IS NOT NULL");
  });
  it('staging layout and lines agree; cell times other than the row time and the marker are staged', () => {
    expect(stagingDdl(target)).toBe(
      'CREATE TEMP TABLE IF NOT EXISTS _cdc_stg (_op text NOT NULL, _ts bigint NOT NULL, _del bigint, _mk bigint, _ex jsonb, _exmin bigint, _p boolean NOT NULL DEFAULT false, k0 text, k1 integer, v0 text, m0 smallint NOT NULL, t0 bigint, v1 text[], m1 smallint NOT NULL, t1 bigint, r1 text[], v2 text[], m2 smallint NOT NULL, t2 bigint, r2 text[], l2 text[]) ON COMMIT DROP',
    );
    const line = stagingLine(target, {
      key: ['a\tb', '1'],
      op: 'upsert',
      cells: { Name: { m: 'set', value: null }, tags: { m: 'modify', add: '{"x"}', remove: '{"y"}' } },
      cellTs: { Name: '5', tags: '3' },
      markerTs: '4',
      tsUs: '5',
      delTsUs: '2',
      refs: [],
    });
    expect(line).toBe('u\t5\t2\t4\t\\N\t\\N\tf\ta\\tb\t1\t\\N\t1\t\\N\t{"x"}\t2\t3\t{"y"}\t\\N\t0\t\\N\t\\N\t\\N\n');
    const del = stagingLine(target, { key: ['a', '1'], op: 'delete', cells: {}, tsUs: '7', delTsUs: null, refs: [] });
    expect(del).toBe('d\t7\t\\N\t\\N\t\\N\t\\N\tf\ta\t1\t\\N\t0\t\\N\t\\N\t0\t\\N\t\\N\t\\N\t0\t\\N\t\\N\t\\N\n');
  });
  it('range delete: tombstone covered keys, delete rows with nothing newer, clear older cells of the rest', () => {
    const sql = barrierDeleteSql(target, {
      ref: { topic: 't', partition: 0, offset: '1' },
      kind: 'range_delete',
      op: 'd',
      key: ['p', null],
      cells: {},
      tsUs: '9',
      seq: 0,
      bytes: 0,
      range: { start: { values: ['2'], inclusive: true }, end: { values: ['5'], inclusive: false } },
    });
    expect(sql).toHaveLength(3);
    const where = 't."pk" = $1::text AND t."select" >= $2::integer AND t."select" < $3::integer';
    expect(sql[0]!.text).toContain(
      `INSERT INTO "cdc data"."_cdc_tombstones_Order""s" AS b ("pk", "select", "_cdc_ts_us") SELECT t."pk", t."select", $4::bigint FROM "cdc data"."Order""s" AS t WHERE ${where}`,
    );
    expect(sql[1]!.text).toContain(`DELETE FROM "cdc data"."Order""s" AS t WHERE ${where} AND NOT (`);
    expect(sql[2]!.text).toContain(`"Name" = CASE WHEN CASE WHEN t."_cdc_cts" ? 'Name'`);
    expect(sql[2]!.text).toContain(`"_cdc_ts_us" = GREATEST(t."_cdc_ts_us", $4::bigint)`);
    for (const s of sql) expect(s.values).toEqual(['p', '2', '5', '9']);
  });
  it('static row: each cell only where the stored cell is not newer', () => {
    const sql = staticRowUpdateSql(target, {
      ref: { topic: 't', partition: 0, offset: '1' },
      kind: 'static_row',
      op: 'u',
      key: ['p', null],
      cells: { Name: { m: 'set', value: 'n' } },
      tsUs: '9',
      seq: 0,
      bytes: 0,
    })!;
    expect(sql.text).toContain(`"Name" = CASE WHEN $1::bigint >= CASE WHEN t."_cdc_cts" ? 'Name'`);
    expect(sql.text).toContain('WHERE t."pk" = $3::text AND ($1::bigint >= CASE');
    expect(sql.values).toEqual(['9', 'n', 'p']);
  });
  it('CREATE TABLE: key NOT NULL, bookkeeping columns nullable, list companion', () => {
    const shape: TableShape = {
      keyspace: 'ks',
      table: 't',
      fingerprint: '',
      keyColumns: [{ name: 'id', field: 'id', pgType: 'uuid', codec: { c: 'text' }, storage: 'scalar', avro: 'string' }],
      valueColumns: [{ name: 'l', field: 'l', pgType: 'integer[]', codec: { c: 'int' }, storage: 'array', collection: 'list', avro: null }],
    };
    expect(createTableSql('s', 'T', shape)).toBe(
      'CREATE TABLE IF NOT EXISTS "s"."T" (\n  "id" uuid NOT NULL,\n  "l" integer[],\n  "_cdc_lk_l" text[],\n  "_cdc_ts_us" bigint,\n  "_cdc_cts" jsonb,\n  PRIMARY KEY ("id")\n)',
    );
  });
});

describe('error classification and DLQ headers', () => {
  it('retries connection, serialization, deadlock and shutdown errors; dead-letters data errors', () => {
    for (const code of ['08006', '40001', '40P01', '57P01', '53300', undefined]) expect(classifyError({ code }).kind).toBe('transient');
    expect(classifyError(new Error('Connection terminated unexpectedly')).kind).toBe('transient');
    expect(classifyError({ code: '22P02' })).toEqual({ kind: 'record', reason: 'type-violation' });
    expect(classifyError({ code: '23505' })).toEqual({ kind: 'record', reason: 'constraint-violation' });
  });
  it('DLQ headers use Kafka Connect names', () => {
    const h = dlqHeaders({ ref: { topic: 'tp', partition: 3, offset: '42' }, reason: 'undecodable', stage: 'VALUE_CONVERTER', errorClass: 'Error', message: 'boom' }, 'sink', 0);
    expect(h).toMatchObject({
      '__connect.errors.topic': 'tp',
      '__connect.errors.partition': '3',
      '__connect.errors.offset': '42',
      '__connect.errors.stage': 'VALUE_CONVERTER',
      '__connect.errors.exception.message': 'boom',
      '__cdc.errors.timestamp': '1970-01-01T00:00:00.000Z',
    });
  });
});
