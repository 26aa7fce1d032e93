import { describe, expect, it } from 'vitest';
import { groupChangeRows } from '../../../../src/source/core/group-change-rows.js';
import { batch, row } from './fixtures.js';

const T_A = '04afc00a-833b-11ee-8a7b-24e4fb3f20b9';
const T_B = '04afc00b-833b-11ee-8a7b-24e4fb3f20b9';

describe('groupChangeRows', () => {
  it('groups rows of one cdc$time up to end_of_batch', () => {
    const rows = [...batch(row(0, 0, {}), row(1, 1, {}), row(9, 2, {})), ...batch(row(2, 0, {}, { time: T_B }))];
    const g = groupChangeRows(rows);
    expect(g.changes.map((c) => c.rows.length)).toEqual([3, 1]);
    expect(g.changes[1]!.time).toBe(T_B);
    expect(g.rest).toEqual([]);
  });
  it('keeps an unfinished trailing group as rest (completed by the next page)', () => {
    const rows = [row(1, 0, {}), row(1, 1, {})];
    const g = groupChangeRows(rows);
    expect(g.changes).toEqual([]);
    expect(g.rest).toHaveLength(2);
    const next = groupChangeRows([...g.rest, { ...row(1, 2, {}), endOfBatch: true }]);
    expect(next.changes[0]!.rows.map((r) => r.seq)).toEqual([0, 1, 2]);
  });
  it('never merges two cdc$time values even without end_of_batch', () => {
    const g = groupChangeRows([row(1, 0, {}, { time: T_A }), row(1, 0, {}, { time: T_B, endOfBatch: true })]);
    expect(g.changes.map((c) => c.time)).toEqual([T_A, T_B]);
  });
});
