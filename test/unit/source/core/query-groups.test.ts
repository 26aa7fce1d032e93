import { describe, expect, it } from 'vitest';
import { queryGroups } from '../../../../src/source/core/query-groups.js';

const units = (...sizes: number[]) => sizes.map((n) => ({ streams: new Array<number>(n).fill(0) }));

describe('queryGroups', () => {
  it('puts units of one replica set together up to the stream cap, in order', () => {
    expect(queryGroups(units(8, 8, 8, 8, 8), () => 'a', 20)).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('never groups units of different replica sets', () => {
    const keys = ['a', 'b', 'a', 'b', 'a'];
    expect(queryGroups(units(8, 8, 8, 8, 8), (i) => keys[i]!, 100)).toEqual([
      [0, 2, 4],
      [1, 3],
    ]);
  });

  it('keeps a unit alone when its replicas are unknown or it alone reaches the cap', () => {
    expect(queryGroups(units(8, 8, 8), (i) => (i === 1 ? null : 'a'), 100)).toEqual([[0, 2], [1]]);
    expect(queryGroups(units(8, 120, 8), () => 'a', 100)).toEqual([[0, 2], [1]]);
  });

  it('with a cap of 1 reads every unit alone (one query per unit)', () => {
    expect(queryGroups(units(8, 8, 8), () => 'a', 1)).toEqual([[0], [1], [2]]);
  });

  it('covers every unit exactly once', () => {
    const sizes = Array.from({ length: 500 }, (_, i) => 1 + (i % 9));
    const groups = queryGroups(units(...sizes), (i) => String(i % 3), 100);
    expect(groups.flat().sort((a, b) => a - b)).toEqual(sizes.map((_, i) => i));
    for (const g of groups) if (g.length > 1) expect(g.reduce((n, i) => n + sizes[i]!, 0)).toBeLessThanOrEqual(100);
  });
});
