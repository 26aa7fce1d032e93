import { describe, expect, it } from 'vitest';
import { isPlainRow, plainUpsertSql } from '../../../../src/sink/core/plain-upsert-sql.js';
import type { FoldedRow } from '../../../../src/sink/core/fold.js';
import type { TargetTable } from '../../../../src/sink/core/target-table.js';

const t: TargetTable = {
  schema: 's',
  table: 't',
  keyColumns: [{ name: 'id', pgType: 'uuid', storage: 'scalar' }],
  valueColumns: [
    { name: 'a', pgType: 'text', storage: 'scalar' },
    { name: 'l', pgType: 'text[]', storage: 'array', collection: 'list' },
  ],
  onConflictKey: true,
};
const whole = (): FoldedRow => ({
  key: ['00000000-0000-0000-0000-000000000001'],
  op: 'upsert',
  cells: { a: { m: 'set', value: 'x' }, l: { m: 'set', value: '{y}', listKeys: '{k}' } },
  cellTs: { a: '10', l: '10' },
  markerTs: '10',
  tsUs: '10',
  delTsUs: null,
  refs: [],
});

describe('plain rows', () => {
  it('a whole row at one write time, with its marker and no TTL, is plain', () => {
    expect(isPlainRow(t, whole())).toBe(true);
    expect(isPlainRow(t, { ...whole(), cellExp: {}, markerExp: null })).toBe(true);
  });
  it('anything else goes to the MERGE', () => {
    const cases: [string, (r: FoldedRow) => void][] = [
      ['a column not written', (r) => delete r.cells.l],
      ['a collection delta', (r) => (r.cells.l = { m: 'modify', add: '{z}', remove: null })],
      ['a cell at another time', (r) => (r.cellTs!.a = '9')],
      ['no row marker (UPDATE)', (r) => (r.markerTs = null)],
      ['a row tombstone folded in', (r) => (r.delTsUs = '5')],
      ['a cell TTL', (r) => (r.cellExp = { a: '99' })],
      ['a marker TTL', (r) => (r.markerExp = '99')],
      ['a delete', (r) => (r.op = 'delete')],
    ];
    for (const [what, change] of cases) {
      const r = whole();
      change(r);
      expect(isPlainRow(t, r), what).toBe(false);
    }
  });
  it('inserts the plain rows newer than their tombstones, updates only rows not newer, and unstages what it wrote', () => {
    const sql = plainUpsertSql(t);
    expect(sql).toContain('WHERE s._p AND s._ts > coalesce(GREATEST(b."_cdc_ts_us"), (-9223372036854775808)::bigint)');
    expect(sql).toContain('ON CONFLICT ("id") DO UPDATE SET "a" = EXCLUDED."a"');
    expect(sql).toContain('"_cdc_lk_l" = EXCLUDED."_cdc_lk_l"');
    expect(sql).toContain(`"_cdc_cts" = coalesce(t."_cdc_cts", '{}'::jsonb) - ARRAY['_marker', 'a', 'l']::text[]`);
    expect(sql).toContain('WHERE coalesce(t."_cdc_ts_us", (-9223372036854775808)::bigint) <= EXCLUDED."_cdc_ts_us"');
    expect(sql).toContain('RETURNING "id" AS k0');
    expect(sql).toContain('DELETE FROM _cdc_stg AS s USING done AS d WHERE s.k0 = d.k0');
    expect(sql).not.toContain('_cdc_deleted_at');
    expect(plainUpsertSql({ ...t, deletedAt: true })).toContain('"_cdc_deleted_at" = NULL');
  });
});
