import { describe, expect, it } from 'vitest';
import { accuracy, buildReport, type ReportInput } from '../../../src/tools/reconcile/report.js';
import { splitRing } from '../../../src/tools/reconcile/token-ranges.js';

const input = (over: Partial<ReportInput> = {}): ReportInput => ({
  table: 'ks.t',
  mode: 'dry-run',
  startedAt: new Date('2026-01-01T00:00:00Z'),
  counts: { source: 10, target: 9, missing: 2, extra: 1, mismatched: 1 },
  staticOnlySkipped: 0,
  missing: [{ id: 1 }, { id: 2 }],
  extra: [{ id: 99 }],
  mismatches: [{ key: { id: 3 }, columns: ['name'], source: 'a', target: 'b' }],
  maxListed: 1000,
  repaired: null,
  ...over,
});

describe('reconcile report', () => {
  it('accuracy is equal rows over the union of both sides', () => {
    // 10 source rows, 2 missing and 1 mismatched: 7 equal; union = 10 + 1 extra.
    expect(accuracy(input().counts)).toBeCloseTo((7 / 11) * 100, 10);
    expect(accuracy({ source: 0, target: 0, missing: 0, extra: 0, mismatched: 0 })).toBe(100);
  });

  it('counts, lists and truncation flag', () => {
    const r = buildReport(input());
    expect(r.counts).toEqual({ source_rows: 10, target_rows: 9, matching_rows: 7, missing_in_target: 2, extra_in_target: 1, mismatches: 1 });
    expect(r.truncated).toBe(false);
    expect(r.started_at).toBe('2026-01-01T00:00:00.000Z');
    expect(buildReport(input({ missing: [{ id: 1 }] })).truncated).toBe(true);
  });
});

describe('token ranges', () => {
  it('cuts the whole Murmur3 ring into contiguous ranges', () => {
    for (const n of [1, 3, 64]) {
      const r = splitRing(n);
      expect(r).toHaveLength(n);
      expect(r[0]![0]).toBe(-(2n ** 63n));
      expect(r[n - 1]![1]).toBe(2n ** 63n - 1n);
      for (let i = 1; i < n; i++) expect(r[i]![0]).toBe(r[i - 1]![1]);
      for (const [s, e] of r) expect(e > s).toBe(true);
    }
  });
});
