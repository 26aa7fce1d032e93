import { describe, expect, it } from 'vitest';
import { foldChanges, type FoldedRow } from '../../../../src/sink/core/fold.js';
import type { CellChange, RowChange } from '../../../../src/sink/core/types.js';

let off = 0;
const change = (kind: RowChange['kind'], key: (string | null)[], ts: number, cells: Record<string, CellChange> = {}, op?: string): RowChange => ({
  ref: { topic: 't', partition: 0, offset: String(off++) },
  kind,
  op: op ?? (kind === 'delete' ? 'd' : 'u'),
  key,
  cells,
  tsUs: String(ts),
  seq: 0,
  bytes: 10,
});
const set = (value: string | null): CellChange => ({ m: 'set', value });
const rows = (cs: RowChange[]) => {
  const { steps } = foldChanges(cs);
  return steps.map((s) => (s.type === 'rows' ? s.rows : s.changes));
};

describe('fold rules', () => {
  it('rule 1: an older change after a newer one is dropped as stale', () => {
    const r = foldChanges([change('upsert', ['a'], 10, { x: set('new') }), change('upsert', ['a'], 5, { x: set('old') })]);
    expect(r.stale).toHaveLength(1);
    expect(r.steps[0]).toMatchObject({ type: 'rows', rows: [{ cells: { x: set('new') }, tsUs: '10' }] });
  });

  it('rule 2: an upsert at the same time as a pending delete is shadowed', () => {
    const [s] = rows([change('delete', ['a'], 10), change('upsert', ['a'], 10, { x: set('v') })]);
    expect(s).toMatchObject([{ op: 'delete', tsUs: '10' }]);
  });

  it('rule 3: partial updates merge, later cell wins, untouched stay absent, NULL is kept as a value', () => {
    const [s] = rows([change('upsert', ['a'], 1, { x: set('1'), y: set('y') }), change('upsert', ['a'], 2, { x: set(null), z: set('z') })]);
    expect(s).toEqual([expect.objectContaining({ op: 'upsert', cells: { x: set(null), y: set('y'), z: set('z') }, tsUs: '2', delTsUs: null })]);
  });

  it('rule 4: upsert then delete folds to a delete', () => {
    const [s] = rows([change('upsert', ['a'], 1, { x: set('1') }), change('delete', ['a'], 2)]);
    expect(s).toEqual([expect.objectContaining({ op: 'delete', cells: {}, tsUs: '2' })]);
  });

  it('rule 5: delete then insert is an upsert that resets untouched columns', () => {
    const [s] = rows([change('delete', ['a'], 1), change('upsert', ['a'], 2, { x: set('new') })]);
    expect(s).toEqual([expect.objectContaining({ op: 'upsert', cells: { x: set('new') }, tsUs: '2', delTsUs: '1' })]);
  });

  it('rule 6: delete then delete keeps the newer time', () => {
    const [s] = rows([change('delete', ['a'], 1), change('delete', ['a'], 3)]);
    expect(s).toEqual([expect.objectContaining({ op: 'delete', tsUs: '3' })]);
  });

  it('rule 7: a collection delta over a pending cell of the same column goes to the next step', () => {
    const steps = rows([
      change('upsert', ['a'], 1, { s: { m: 'set', value: '{x}' } }),
      change('upsert', ['a'], 2, { s: { m: 'modify', add: '{y}', remove: null } }),
      change('upsert', ['b'], 2, { s: { m: 'modify', add: '{y}', remove: null } }),
    ]);
    expect(steps).toHaveLength(2);
    expect(steps[0]).toHaveLength(2);
    expect(steps[1]).toEqual([expect.objectContaining({ key: ['a'], tsUs: '2' })]);
  });

  it('partition and range deletes are barriers: rows never fold across them', () => {
    const steps = foldChanges([
      change('upsert', ['p', '1'], 1, { x: set('a') }),
      change('partition_delete', ['p', null], 2),
      change('range_delete', ['p', null], 3),
      change('upsert', ['p', '1'], 4, { y: set('b') }),
    ]).steps;
    expect(steps.map((s) => s.type)).toEqual(['rows', 'barrier', 'rows']);
    expect((steps[1] as { changes: RowChange[] }).changes).toHaveLength(2);
    expect(steps[2]).toMatchObject({ rows: [{ cells: { y: set('b') } }] });
  });

  it('different keys stay separate rows, in one step', () => {
    const [s] = rows([change('upsert', ['a'], 1), change('upsert', ['b'], 1), change('upsert', ['a'], 2)]);
    expect(s).toHaveLength(2);
  });
});

describe('per-cell fold rules (ScyllaDB: last write wins per cell)', () => {
  const one = (cs: RowChange[]) => {
    const r = foldChanges(cs);
    expect(r.steps).toHaveLength(1);
    return { row: (r.steps[0] as { rows: FoldedRow[] }).rows[0]!, stale: r.stale.length };
  };

  it('an older change to a different column after a newer one still sets its cell', () => {
    const { row, stale } = one([change('upsert', ['a'], 30, { a: set('a2') }), change('upsert', ['a'], 20, { b: set('b2') })]);
    expect(stale).toBe(0);
    expect(row).toMatchObject({ op: 'upsert', cells: { a: set('a2'), b: set('b2') }, cellTs: { a: '30', b: '20' }, tsUs: '30' });
  });

  it('an older change sets only the cells it has newer than the pending ones', () => {
    const { row } = one([change('upsert', ['a'], 30, { a: set('new') }), change('upsert', ['a'], 20, { a: set('old'), b: set('b') })]);
    expect(row).toMatchObject({ cells: { a: set('new'), b: set('b') }, cellTs: { a: '30', b: '20' }, refs: [expect.anything(), expect.anything()] });
  });

  it('equal write times: the later change in Kafka order wins the cell', () => {
    const { row } = one([change('upsert', ['a'], 10, { a: set('1') }), change('upsert', ['a'], 10, { a: set('2') })]);
    expect(row.cells).toEqual({ a: set('2') });
  });

  it('INSERT sets the row marker, UPDATE does not; the newer marker is kept', () => {
    expect(one([change('upsert', ['a'], 10, { a: set('1') }, 'u')]).row.markerTs).toBeNull();
    expect(one([change('upsert', ['a'], 10, { a: set('1') }, 'c'), change('upsert', ['a'], 5, {}, 'c')]).row.markerTs).toBe('10');
    expect(one([change('upsert', ['a'], 5, {}, 'r'), change('upsert', ['a'], 10, {}, 'c')]).row.markerTs).toBe('10');
  });

  it('a delete at T removes cells and marker with time <= T; newer cells keep the row (reset below T)', () => {
    const { row } = one([change('upsert', ['a'], 10, { a: set('a'), b: set('b') }, 'c'), change('upsert', ['a'], 30, { b: set('b2') }), change('delete', ['a'], 20)]);
    expect(row).toMatchObject({ op: 'upsert', cells: { b: set('b2') }, cellTs: { b: '30' }, markerTs: null, delTsUs: '20', tsUs: '30' });
  });

  it('a delete newer than everything pending folds to a pure delete', () => {
    const { row } = one([change('upsert', ['a'], 10, { a: set('a') }, 'c'), change('delete', ['a'], 20)]);
    expect(row).toMatchObject({ op: 'delete', cells: {}, tsUs: '20', delTsUs: null });
  });

  it('a marker newer than a late delete keeps the row', () => {
    const { row } = one([change('upsert', ['a'], 30, { a: set('a') }, 'c'), change('delete', ['a'], 20)]);
    expect(row).toMatchObject({ op: 'upsert', markerTs: '30', cells: { a: set('a') }, delTsUs: '20' });
  });

  it('a cell write not newer than the pending tombstone is shadowed (tie included); a newer one resurrects only its cell', () => {
    const r = foldChanges([
      change('upsert', ['a'], 10, { a: set('x'), b: set('y') }, 'c'),
      change('delete', ['a'], 20),
      change('upsert', ['a'], 15, { b: set('late') }),
      change('upsert', ['a'], 20, { b: set('tie') }),
    ]);
    expect(r.stale).toHaveLength(2);
    const more = foldChanges([change('delete', ['a'], 20), change('upsert', ['a'], 30, { b: set('new') })]);
    expect((more.steps[0] as { rows: FoldedRow[] }).rows[0]).toMatchObject({ op: 'upsert', cells: { b: set('new') }, delTsUs: '20', tsUs: '30', markerTs: null });
  });

  it('an older delete than the pending tombstone is stale; a newer one moves it up', () => {
    expect(foldChanges([change('delete', ['a'], 20), change('delete', ['a'], 10)]).stale).toHaveLength(1);
    const { row } = one([change('delete', ['a'], 20), change('upsert', ['a'], 30, { b: set('b') }), change('delete', ['a'], 25)]);
    expect(row).toMatchObject({ op: 'upsert', cells: { b: set('b') }, delTsUs: '25' });
  });

  it('a change with no effect at all is stale (offsets still advance)', () => {
    const r = foldChanges([change('upsert', ['a'], 30, { a: set('1') }, 'c'), change('upsert', ['a'], 20, { a: set('0') }, 'u')]);
    expect(r.stale).toHaveLength(1);
  });

  it('a collection delta older than the pending cell of its column is shadowed; not older → next step', () => {
    const older = foldChanges([change('upsert', ['a'], 30, { s: { m: 'set', value: '{x}' } }), change('upsert', ['a'], 20, { s: { m: 'modify', add: '{y}', remove: null } })]);
    expect(older.steps).toHaveLength(1);
    expect(older.stale).toHaveLength(1);
    const newer = foldChanges([change('upsert', ['a'], 20, { s: { m: 'set', value: '{x}' } }), change('upsert', ['a'], 30, { s: { m: 'modify', add: '{y}', remove: null } })]);
    expect(newer.steps).toHaveLength(2);
  });
});

describe('the fold and its input', () => {
  it('leaves the changes it folds as they were, though a row shares its first change’s cells', () => {
    const input = [
      change('upsert', ['a'], 10, { x: set('1'), y: set('2') }, 'c'),
      change('upsert', ['a'], 12, { x: set('3') }),
      change('delete', ['a'], 11),
      change('upsert', ['b'], 10, { x: set('4') }),
    ];
    const before = structuredClone(input);
    const [s] = foldChanges(input).steps;
    expect(input).toStrictEqual(before);
    if (s?.type !== 'rows') throw new Error('expected one rows step');
    const a = s.rows.find((r) => r.key[0] === 'a')!;
    expect(a.cells).toEqual({ x: set('3') });
    expect(a.cellTs).toEqual({ x: '12' });
    expect(a.delTsUs).toBe('11');
  });
});
