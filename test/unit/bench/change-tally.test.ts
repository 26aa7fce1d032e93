import { describe, expect, it } from 'vitest';
import { tallyChanges } from '../../../bench/lib/change-tally.js';

// The bench's exactly-once verdict: the counts are built here by hand, not by the code under test.
describe('tallyChanges (topology bench, exactly once)', () => {
  const written = ['-1:0', '-2:0', '0:1', '1:2', '0:3'];

  it('is exact when every written id is read once and nothing else', () => {
    const t = tallyChanges(written, ['0:3', '-1:0', '1:2', '-2:0', '0:1']);
    expect(t).toMatchObject({ expected: 5, read: 5, missing: 0, duplicates: 0, unexpected: 0, exact: true });
  });

  it('counts each extra copy of an id as a duplicate', () => {
    const t = tallyChanges(written, ['-1:0', '-2:0', '0:1', '1:2', '0:3', '0:1', '0:1', '1:2']);
    expect(t).toMatchObject({ read: 8, missing: 0, duplicates: 3, unexpected: 0, exact: false });
    expect(t.examples.duplicated.sort()).toEqual(['0:1', '1:2']);
  });

  it('counts ids never read as missing, and reads of ids never written (or without one) as unexpected', () => {
    const t = tallyChanges(written, ['-1:0', '0:1', '0:3', '7:7', null]);
    expect(t).toMatchObject({ read: 5, missing: 2, duplicates: 0, unexpected: 2, exact: false });
    expect(t.examples.missing).toEqual(['-2:0', '1:2']);
    expect(t.examples.unexpected).toEqual(['7:7', 'null']);
  });

  it('a missing change is not hidden by a duplicate of another (same read count as written)', () => {
    const t = tallyChanges(written, ['-1:0', '-2:0', '0:1', '1:2', '1:2']);
    expect(t).toMatchObject({ read: 5, missing: 1, duplicates: 1, exact: false });
  });
});
