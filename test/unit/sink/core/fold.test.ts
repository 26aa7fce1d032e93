import { describe, expect, it } from 'vitest';
import { foldChanges } from '../../../../src/sink/core/fold.js';
import type { CellChange, RowChange } from '../../../../src/sink/core/types.js';

let off = 0;
const change = (kind: RowChange['kind'], key: (string | null)[], ts: number, cells: Record<string, CellChange> = {}): RowChange => ({
  ref: { topic: 't', partition: 0, offset: String(off++) },
  kind,
  op: kind === 'delete' ? 'd' : 'u',
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
