import { describe, expect, it } from 'vitest';
import { changeExpiry, expiryUs, MARKER_TTL_FIELD, stagedExpiry } from '../../../../src/sink/core/expiry.js';
import { foldChanges, type FoldedRow } from '../../../../src/sink/core/fold.js';
import { purgeTarget } from '../../../../src/sink/core/purge-target.js';
import { purgeCellsSql, purgeRowsSql } from '../../../../src/sink/core/expiry-sql.js';
import type { CellChange, RowChange } from '../../../../src/sink/core/types.js';

const set = (value: string | null): CellChange => ({ m: 'set', value });

describe('expiry of one write', () => {
  it('write time + TTL in µs, exactly; no TTL, TTL 0 or negative = never', () => {
    expect(expiryUs('1700000000000001', 3)).toBe('1700000003000001');
    expect(expiryUs('9007199254740993', 1n)).toBe('9007199255740993'); // past 2^53: BigInt arithmetic
    for (const ttl of [null, undefined, 0, -5, 1.5, '3']) expect(expiryUs('1', ttl)).toBeNull();
  });
});

describe('changeExpiry', () => {
  const fields = (c: string) => `f_${c}`;
  it("one TTL: every live cell and an INSERT's marker; a cell set to NULL has none", () => {
    const e = changeExpiry('100', 2, null, { a: set('x'), b: set(null), c: { m: 'modify', add: '{1}', remove: null } }, fields, true);
    expect(e).toEqual({ cells: { a: '2000100', c: '2000100' }, marker: '2000100' });
  });
  it('an UPDATE writes no marker', () => {
    expect(changeExpiry('100', 2, null, { a: set('x') }, fields, false).marker).toBeNull();
  });
  it('cell_ttls: each cell by field name, the marker under $marker; a cell missing from it has none', () => {
    const e = changeExpiry('0', 9, { f_a: 3, [MARKER_TTL_FIELD]: 5 }, { a: set('x'), b: set('y') }, fields, true);
    expect(e).toEqual({ cells: { a: '3000000' }, marker: '5000000' });
  });
  it('no TTL anywhere: nothing expires', () => {
    expect(changeExpiry('0', null, null, { a: set('x') }, fields, true)).toEqual({ cells: {}, marker: null });
  });
});

let off = 0;
const change = (ts: number, cells: Record<string, CellChange>, expiry?: RowChange['expiry'], op = 'u', kind: RowChange['kind'] = 'upsert'): RowChange => ({
  ref: { topic: 't', partition: 0, offset: String(off++) },
  kind,
  op,
  key: ['k'],
  cells,
  tsUs: String(ts),
  seq: 0,
  bytes: 1,
  ...(expiry ? { expiry } : {}),
});
const folded = (cs: RowChange[]): FoldedRow => (foldChanges(cs).steps[0] as { rows: FoldedRow[] }).rows[0]!;

describe('fold: an expiry follows the write that wins its cell', () => {
  it('a later write without TTL makes the cell permanent; the other cell keeps its expiry', () => {
    const r = folded([change(10, { a: set('x'), b: set('y') }, { cells: { a: '50', b: '50' }, marker: '50' }, 'c'), change(20, { a: set('z') })]);
    expect(r.cellExp).toEqual({ b: '50' });
    expect(r.markerExp).toBe('50');
  });
  it('an older write (late in Kafka order) changes no expiry', () => {
    const r = folded([
      change(20, { a: set('new') }, { cells: { a: '90' }, marker: null }),
      change(10, { a: set('old'), b: set('b') }, { cells: { a: '15', b: '15' }, marker: null }),
    ]);
    expect(r.cells).toEqual({ a: set('new'), b: set('b') });
    expect(r.cellExp).toEqual({ a: '90', b: '15' });
  });
  it("a delete removes the expiries of what it removes; a newer INSERT sets the marker's", () => {
    const r = folded([
      change(10, { a: set('x') }, { cells: { a: '50' }, marker: '50' }, 'c'),
      change(15, {}, undefined, 'd', 'delete'),
      change(20, { b: set('y') }, { cells: {}, marker: null }, 'c'),
    ]);
    expect(r.cellExp).toEqual({});
    expect(r.markerExp).toBeNull();
    const r2 = folded([change(10, { a: set('x') }, undefined, 'c'), change(20, {}, { cells: {}, marker: '70' }, 'c')]);
    expect(r2.markerExp).toBe('70');
  });
});

describe('stagedExpiry', () => {
  it("the staged cells' and marker's expiries as JSON, and the earliest; NULLs when nothing expires", () => {
    const row: FoldedRow = {
      key: ['k'],
      op: 'upsert',
      cells: { a: set('x'), b: set('y') },
      markerTs: '1',
      tsUs: '1',
      delTsUs: null,
      refs: [],
      cellExp: { a: '9000000000000001', gone: '5' },
      markerExp: '7000000000000000',
    };
    expect(stagedExpiry(row)).toEqual(['{"a":9000000000000001,"_marker":7000000000000000}', '7000000000000000']);
    expect(stagedExpiry({ ...row, cellExp: {}, markerExp: null })).toEqual([null, null]);
    expect(stagedExpiry({ ...row, markerTs: null })[1]).toBe('9000000000000001'); // no marker folded: its expiry is not staged
  });
});

describe('purge SQL', () => {
  const t = purgeTarget('s', { table: 't', columns: ['id', 'a', 'l', '_cdc_lk_l', '_cdc_ts_us', '_cdc_cts', '_cdc_cexp', '_cdc_expires_at'], keys: ['id'] }, false);
  it('the catalog view: keys, value columns without bookkeeping, list companions', () => {
    expect(t.keyColumns.map((c) => c.name)).toEqual(['id']);
    expect(t.valueColumns).toEqual([
      { name: 'a', pgType: '', storage: 'scalar' },
      { name: 'l', pgType: '', storage: 'scalar', collection: 'list' },
    ]);
    expect(t.deletedAt).toBe(false);
  });
  it('bounded, lock-skipping batches; hard mode deletes and tombstones, soft mode marks', () => {
    const hard = purgeRowsSql(t, 1000);
    expect(hard).toContain('LIMIT 1000 FOR UPDATE OF t SKIP LOCKED');
    expect(hard).toContain('DELETE FROM "s"."t" AS t USING dead AS d');
    expect(hard).toContain('INSERT INTO "s"."_cdc_tombstones_t"');
    const soft = purgeRowsSql({ ...t, softDelete: true, deletedAt: true }, 10);
    expect(soft).not.toContain('DELETE');
    expect(soft).toContain('SET "_cdc_deleted_at" = LEAST(now()');
    expect(soft).toContain('t."_cdc_deleted_at" IS NULL');
    expect(purgeCellsSql(t, 1000)).toContain('"_cdc_lk_l" = CASE WHEN');
  });
});
