/** The pause definitions of the sink-scale bench (bench/lib/rebalance-pauses.ts) on synthetic offset samples. */
import { describe, expect, it } from 'vitest';
import { eventPause, type OffsetSample } from '../../../bench/lib/rebalance-pauses.js';

/**
 * 24 partitions sampled every 100 ms for 30 s, each committing 10 changes per sample (2,400/s for
 * the group) except where `stopped(partition, t)` says it commits nothing.
 */
function samples(stopped: (p: number, t: number) => boolean): OffsetSample[] {
  const out: OffsetSample[] = [];
  const offsets = new Array<number>(24).fill(0);
  for (let t = 0; t <= 30_000; t += 100) {
    for (let p = 0; p < 24; p++) if (!stopped(p, t)) offsets[p]! += 10;
    out.push({ t, offsets: [...offsets] });
  }
  return out;
}

describe('eventPause', () => {
  it('steady progress: no dip, gaps of one sample', () => {
    expect(
      eventPause(
        samples(() => false),
        10_000,
        20_000,
      ),
    ).toEqual({
      baselineRowsPerSec: 2400,
      dipMs: 0,
      eventToRecoveredMs: 0,
      groupStallMs: 100,
      maxPartitionGapMs: 100,
      medianPartitionGapMs: 100,
    });
  });

  it('an eager rebalance: every partition stops for 3 s, 1 s after the event', () => {
    // Nothing committed at samples 11,100 … 14,000: the last move is at 11,000, the next at 14,100.
    const r = eventPause(
      samples((_p, t) => t > 11_000 && t <= 14_000),
      10_000,
      20_000,
    );
    expect(r.baselineRowsPerSec).toBe(2400);
    expect(r.groupStallMs).toBe(3100);
    expect(r.maxPartitionGapMs).toBe(3100);
    expect(r.medianPartitionGapMs).toBe(3100);
    // The first window under 50 % starts at 10,600 (it holds 0.4 s of commits: 10,700 … 11,000),
    // the first back at 50 % starts at 13,500 (0.5 s of commits: 14,100 … 14,500).
    expect(r.dipMs).toBe(2900);
    expect(r.eventToRecoveredMs).toBe(3500);
  });

  it('a kill -9: a third of the partitions stop for the session timeout, the group rate stays above half', () => {
    const r = eventPause(
      samples((p, t) => p < 8 && t > 10_000 && t <= 20_000),
      10_000,
      25_000,
    );
    expect(r.dipMs).toBe(0);
    expect(r.groupStallMs).toBe(100);
    expect(r.maxPartitionGapMs).toBe(10_100);
    expect(r.medianPartitionGapMs).toBe(100);
  });

  it('a stop that ended before the event is not counted as its pause', () => {
    const r = eventPause(
      samples((_p, t) => t > 2_000 && t <= 5_000),
      10_000,
      20_000,
    );
    expect([r.groupStallMs, r.maxPartitionGapMs, r.dipMs]).toEqual([100, 100, 0]);
  });

  it('a group still stopped at the horizon has not recovered; its gaps run to the last sample', () => {
    const r = eventPause(
      samples((_p, t) => t > 10_000),
      10_000,
      40_000,
    );
    expect(r.dipMs).toBeNull();
    expect(r.eventToRecoveredMs).toBeNull();
    expect(r.groupStallMs).toBe(20_000);
    expect(r.maxPartitionGapMs).toBe(20_000);
  });
});
