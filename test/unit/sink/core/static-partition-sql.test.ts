import { describe, expect, it } from 'vitest';
import { partitionKeyLength, staticRowSql, staticTableDdl, staticTargetOf } from '../../../../src/sink/core/static-partition-sql.js';
import { listKeysColumn } from '../../../../src/core/sql-ident.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { RowChange } from '../../../../src/sink/core/types.js';

const t: TargetTable = {
  schema: 's',
  table: 'events',
  keyColumns: [
    { name: 'pk', pgType: 'text', storage: 'scalar' },
    { name: 'ck', pgType: 'integer', storage: 'scalar' },
  ],
  valueColumns: [
    { name: 'st', pgType: 'text', storage: 'scalar' },
    { name: 'tags', pgType: 'text[]', storage: 'array', collection: 'list' },
  ],
  softDelete: true,
  deletedAt: true,
};

const change = (key: (string | null)[]): RowChange => ({ kind: 'static_row', key, tsUs: '100', cells: { st: { m: 'set', value: 'x' } } }) as unknown as RowChange;

describe('static partition companion', () => {
  it('the partition key is the key values before the first null', () => {
    expect(partitionKeyLength(change(['p', null]))).toBe(1);
    expect(partitionKeyLength(change(['p', '1']))).toBe(2);
  });

  it('is keyed by the partition key, keeps every value column, and deletes hard', () => {
    const st = staticTargetOf(t, 1);
    expect(st).toMatchObject({ schema: 's', table: '_cdc_static_events', keyColumns: [t.keyColumns[0]], valueColumns: t.valueColumns, softDelete: false, deletedAt: false });
    const ddl = staticTableDdl(st).join(';\n');
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "s"."_cdc_static_events" (\n  "pk" text NOT NULL,\n  PRIMARY KEY ("pk")\n)');
    expect(ddl).toContain(`ADD COLUMN IF NOT EXISTS "${listKeysColumn('tags')}" text[]`);
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS "s"."_cdc_tombstones__cdc_static_events"');
  });

  it('a static write seeds a new row at the partition tombstone, applies, then drops the row if nothing is left', () => {
    const [insert, update, drop] = staticRowSql(staticTargetOf(t, 1), change(['p', null]));
    expect(insert!.text).toContain('(SELECT b."_cdc_ts_us" FROM "s"."_cdc_tombstones__cdc_static_events" AS b WHERE b."pk" = $1::text)');
    expect(insert!.values).toEqual(['p']);
    expect(update!.text).toMatch(/^UPDATE "s"\."_cdc_static_events" AS t SET /);
    expect(drop!.text).toBe('DELETE FROM "s"."_cdc_static_events" WHERE "pk" = $1::text AND "st" IS NULL AND "tags" IS NULL');
  });
});
