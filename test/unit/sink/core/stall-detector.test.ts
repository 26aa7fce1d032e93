import { describe, expect, it } from 'vitest';
import { StallDetector } from '../../../../src/sink/core/stall-detector.js';

const at = (committed: number, end: number, name = 't/0') => [{ name, committed: BigInt(committed), end: BigInt(end) }];

describe('StallDetector', () => {
  it('a partition with lag whose committed offset does not move for the timeout is stalled; progress clears it', () => {
    const d = new StallDetector({ timeoutMs: 1000, maxLag: 0 });
    d.observe(0, at(10, 20));
    d.observe(999, at(10, 25));
    expect(d.reasons()).toEqual([]);
    d.observe(1000, at(10, 25));
    expect(d.reasons()).toEqual([expect.stringMatching(/^t\/0: stalled: 15 records to apply but the committed offset has stayed at 10 for 1 s \(SINK_STALL_TIMEOUT_MS=1000\)/)]);
    d.observe(1001, at(11, 25)); // moved: the clock restarts
    expect(d.reasons()).toEqual([]);
    d.observe(2000, at(11, 25));
    expect(d.reasons()).toEqual([]);
    d.observe(2001, at(11, 25));
    expect(d.reasons()).toHaveLength(1);
  });
  it('an idle partition (no lag) never stalls, however long its offset stays', () => {
    const d = new StallDetector({ timeoutMs: 1000, maxLag: 0 });
    d.observe(0, at(10, 10));
    d.observe(10_000, at(10, 10));
    expect(d.reasons()).toEqual([]);
    d.observe(10_001, at(10, 11)); // a new record: the wait starts now, not at 0
    expect(d.reasons()).toEqual([]);
  });
  it('lag above SINK_STALL_MAX_LAG that does not shrink is falling behind, even while offsets move', () => {
    const d = new StallDetector({ timeoutMs: 1000, maxLag: 100 });
    d.observe(0, at(0, 200));
    d.observe(600, at(50, 260));
    d.observe(1000, at(100, 300));
    expect(d.reasons()).toEqual([expect.stringMatching(/^t\/0: falling behind: lag 200 records, above SINK_STALL_MAX_LAG=100/)]);
    d.observe(1100, at(250, 300)); // shrinking: the clock restarts at the smaller lag
    expect(d.reasons()).toEqual([]);
    d.observe(2200, at(260, 300)); // at or below the bound
    expect(d.reasons()).toEqual([]);
  });
  it('a revoked partition is forgotten', () => {
    const d = new StallDetector({ timeoutMs: 10, maxLag: 0 });
    d.observe(0, at(0, 5));
    d.observe(20, at(0, 5));
    expect(d.reasons()).toHaveLength(1);
    d.observe(30, []);
    expect(d.reasons()).toEqual([]);
  });
  it('a paused table is never stalled nor falling behind, and is judged afresh after its resume', () => {
    const d = new StallDetector({ timeoutMs: 1000, maxLag: 10 });
    const paused = (committed: number, end: number) => [{ name: 't/0', committed: BigInt(committed), end: BigInt(end), paused: true }];
    d.observe(0, at(10, 20));
    d.observe(500, paused(10, 500));
    d.observe(5000, paused(10, 5000));
    expect(d.reasons()).toEqual([]);
    d.observe(5001, at(10, 5000)); // resumed: the wait starts now, not at 0
    expect(d.reasons()).toEqual([]);
    d.observe(6001, at(10, 5000));
    expect(d.reasons()).toEqual([expect.stringMatching(/^t\/0: stalled: 4990 records to apply/)]); // without progress: reported as any partition
  });
});
