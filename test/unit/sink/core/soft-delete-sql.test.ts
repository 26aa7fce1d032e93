import { describe, expect, it } from 'vitest';
import { barrierDeleteSql, deleteRowsSql, mergeRowsSql } from '../../../../src/sink/core/apply-sql.js';
import { staticRowUpdateSql } from '../../../../src/sink/core/static-row-sql.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';
import type { RowChange } from '../../../../src/sink/core/types.js';
import { visibleRelation } from '../../../../src/sink/core/expiry-sql.js';

const hard: TargetTable = {
  schema: 's',
  table: 't',
  keyColumns: [
    { name: 'pk', pgType: 'text', storage: 'scalar' },
    { name: 'ck', pgType: 'integer', storage: 'scalar' },
  ],
  valueColumns: [{ name: 'a', pgType: 'text', storage: 'scalar' }],
};
const soft: TargetTable = { ...hard, deletedAt: true, softDelete: true };
const change = (kind: RowChange['kind']): RowChange => ({
  ref: { topic: 'x', partition: 0, offset: '1' },
  kind,
  op: 'd',
  key: ['p', null],
  cells: { a: { m: 'set', value: 'v' } },
  tsUs: '20',
  seq: 0,
  bytes: 1,
});

describe('soft-delete SQL', () => {
  it("marks instead of deleting, only rows not marked yet, at the removing change's write time", () => {
    const del = deleteRowsSql(soft);
    expect(del).not.toContain('DELETE');
    expect(del).toContain(`UPDATE "s"."t" AS t SET "_cdc_deleted_at" = (TIMESTAMPTZ 'epoch' + (GREATEST(t."_cdc_ts_us", s._ts)) * INTERVAL '1 microsecond')`);
    expect(del).toContain('AND t."_cdc_deleted_at" IS NULL');
    const barrier = barrierDeleteSql(soft, change('partition_delete')).map((q) => q.text);
    expect(barrier.some((q) => q.startsWith('DELETE'))).toBe(false);
    expect(barrier[1]).toContain('"_cdc_deleted_at" = (TIMESTAMPTZ');
    expect(barrier[2]).toContain('t."_cdc_deleted_at" IS NULL AND');
    expect(staticRowUpdateSql(soft, change('static_row'))!.text).toContain('NOT t."_cdc_deleted_at" IS NOT NULL');
  });
  it('MERGE: a marked row is revived only by a change that would insert it, else left alone', () => {
    const sql = mergeRowsSql(soft);
    expect(sql).toMatch(
      /WHEN MATCHED AND t."_cdc_deleted_at" IS NOT NULL AND s._op = 'u' AND \(.*\) THEN\n {2}UPDATE SET .*"_cdc_deleted_at" = NULL\nWHEN MATCHED AND t."_cdc_deleted_at" IS NOT NULL THEN\n {2}DO NOTHING\nWHEN MATCHED AND .* THEN\n {2}UPDATE SET "_cdc_deleted_at" = /s,
    );
    expect(sql).not.toMatch(/THEN\n {2}DELETE/);
  });
  it('a table with the column but SINK_DELETE_MODE=hard deletes, and still treats marked rows as absent', () => {
    const sql = mergeRowsSql({ ...hard, deletedAt: true });
    expect(sql).toContain('DO NOTHING');
    expect(sql).toMatch(/THEN\n {2}DELETE/);
    expect(deleteRowsSql(hard)).toMatch(/^DELETE FROM "s"."t" AS t USING _cdc_stg AS s\nWHERE /);
    expect(visibleRelation(hard)).not.toContain('_cdc_deleted_at');
    expect(visibleRelation(soft)).toContain('AND t."_cdc_deleted_at" IS NULL)');
  });
});
