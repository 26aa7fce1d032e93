import { describe, expect, it } from 'vitest';
import { barrierDeleteSql, mergeRowsSql, stagingDdl, stagingLine } from '../../../../src/sink/core/apply-sql.js';
import { classifyPgError } from '../../../../src/sink/core/classify-pg-error.js';
import { createTableSql } from '../../../../src/sink/core/ddl-sql.js';
import { dlqHeaders } from '../../../../src/sink/core/dlq-headers.js';
import { quoteIdent } from '../../../../src/sink/core/sql-ident.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { TableShape } from '../../../../src/sink/core/types.js';

const target: TargetTable = {
  schema: 'cdc data',
  table: 'Order"s',
  keyColumns: [{ name: 'pk', pgType: 'text', storage: 'scalar' }, { name: 'select', pgType: 'integer', storage: 'scalar' }],
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
  it('MERGE updates only touched columns and is version-guarded against rows and tombstones', () => {
    const sql = mergeRowsSql(target);
    expect(sql).toContain('"Name" = CASE WHEN s.m0 <> 0 THEN s.v0 ELSE CASE WHEN s._del IS NOT NULL');
    expect(sql).toContain('WHEN MATCHED AND coalesce(t."_cdc_ts_us", (-9223372036854775808)::bigint) <= s._ts THEN');
    expect(sql).toContain('(b."_cdc_ts_us" IS NULL OR b."_cdc_ts_us" < s._ts)');
    expect(sql).toContain('"cdc data"."_cdc_set_merge"(');
    expect(sql).toContain('"_cdc_lk_items" = CASE s.m2 WHEN 1 THEN s.l2');
  });
  it('staging layout and lines agree', () => {
    expect(stagingDdl(target)).toBe('CREATE TEMP TABLE IF NOT EXISTS _cdc_stg (_op text NOT NULL, _ts bigint NOT NULL, _del bigint, k0 text, k1 integer, v0 text, m0 smallint NOT NULL, v1 text[], m1 smallint NOT NULL, r1 text[], v2 text[], m2 smallint NOT NULL, r2 text[], l2 text[]) ON COMMIT DROP');
    const line = stagingLine(target, { key: ['a\tb', '1'], op: 'upsert', cells: { Name: { m: 'set', value: null }, tags: { m: 'modify', add: '{"x"}', remove: '{"y"}' } }, tsUs: '5', delTsUs: null, refs: [] });
    expect(line).toBe('u\t5\t\\N\ta\\tb\t1\t\\N\t1\t{"x"}\t2\t{"y"}\t\\N\t0\t\\N\t\\N\n');
  });
  it('range delete compares the clustering prefix with typed parameters', () => {
    const sql = barrierDeleteSql(target, { ref: { topic: 't', partition: 0, offset: '1' }, kind: 'range_delete', op: 'd', key: ['p', null], cells: {}, tsUs: '9', seq: 0, bytes: 0, range: { start: { values: ['2'], inclusive: true }, end: { values: ['5'], inclusive: false } } });
    expect(sql.text).toContain('t."pk" = $1::text AND t."select" >= $2::integer AND t."select" < $3::integer AND coalesce(t."_cdc_ts_us", (-9223372036854775808)::bigint) <= $4::bigint');
    expect(sql.values).toEqual(['p', '2', '5', '9']);
  });
  it('CREATE TABLE: key NOT NULL, bookkeeping columns nullable, list companion', () => {
    const shape: TableShape = {
      keyspace: 'ks', table: 't', fingerprint: '',
      keyColumns: [{ name: 'id', pgType: 'uuid', codec: { c: 'text' }, storage: 'scalar', avro: 'string' }],
      valueColumns: [{ name: 'l', pgType: 'integer[]', codec: { c: 'int' }, storage: 'array', collection: 'list', avro: null }],
    };
    expect(createTableSql('s', 'T', shape)).toBe('CREATE TABLE IF NOT EXISTS "s"."T" (\n  "id" uuid NOT NULL,\n  "l" integer[],\n  "_cdc_lk_l" text[],\n  "_cdc_ts_us" bigint,\n  PRIMARY KEY ("id")\n)');
  });
});

describe('error classification and DLQ headers', () => {
  it('retries connection, serialization, deadlock and shutdown errors; dead-letters data errors', () => {
    for (const code of ['08006', '40001', '40P01', '57P01', '53300', undefined]) expect(classifyPgError({ code }).action).toBe('retry');
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).action).toBe('retry');
    expect(classifyPgError({ code: '22P02' })).toEqual({ action: 'record', reason: 'type-violation' });
    expect(classifyPgError({ code: '23505' })).toEqual({ action: 'record', reason: 'constraint-violation' });
  });
  it('DLQ headers use Kafka Connect names', () => {
    const h = dlqHeaders({ ref: { topic: 'tp', partition: 3, offset: '42' }, reason: 'undecodable', stage: 'VALUE_CONVERTER', errorClass: 'Error', message: 'boom' }, 'sink', 0);
    expect(h).toMatchObject({ '__connect.errors.topic': 'tp', '__connect.errors.partition': '3', '__connect.errors.offset': '42', '__connect.errors.stage': 'VALUE_CONVERTER', '__connect.errors.exception.message': 'boom', '__cdc.errors.timestamp': '1970-01-01T00:00:00.000Z' });
  });
});
