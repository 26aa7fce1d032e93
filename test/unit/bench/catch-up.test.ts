import { describe, expect, it } from 'vitest';
import { catchUp, lagsSeenBetween, LiveLag } from '../../../bench/lib/catch-up.js';

// A kill at t = 100 s; threshold 7 s. Write and first-seen times in ms.
const KILL = 100_000;
const writes = [95_000, 96_000, 97_000, 103_000, 108_000, 109_000, 110_000];
const seenAll = new Map<number, number>([
  [0, 99_000], // before the kill: not this window's
  [1, 112_000], // 16 s: late
  [2, 112_000], // 15 s: late
  [3, 113_500], // 10.5 s: late, the last late one
  [4, 114_000], // 6 s: on time
  [5, 115_000], // 6 s
  [6, 116_900], // 6.9 s: on time (not above the threshold)
]);
const base = { fromMs: KILL, toMs: 200_000, thresholdMs: 7000, finals: [0, 1, 2, 3, 4, 5, 6], writeMs: Float64Array.from(writes) };

describe('catch-up after a fault', () => {
  it('is when the last change slower than the threshold became visible', () => {
    expect(catchUp({ ...base, seenAt: seenAll })).toEqual({ recoveredAtMs: 113_500, lastLateAtMs: 113_500, lateChanges: 3, missing: 0, maxLagMs: 16_000 });
  });

  it("ends at the fault's stretch of lag: a later slow change is a stretch of its own", () => {
    // change 7, written at 130 s, seen at 138 s (8 s): the lag is over 7 s in (137 s, 138 s) only
    const w = Float64Array.from([...writes, 130_000]);
    const seen = new Map([...seenAll, [7, 138_000]]);
    expect(catchUp({ ...base, finals: [...base.finals, 7], writeMs: w, seenAt: seen })).toEqual({
      recoveredAtMs: 113_500,
      lastLateAtMs: 138_000,
      lateChanges: 4,
      missing: 0,
      maxLagMs: 16_000,
    });
    // written at 106.6 s, its stretch begins at 113.6 s, just after the fault's ended: still apart;
    // written at 106.4 s, it begins at 113.4 s, inside the fault's: one stretch until 138 s
    w[7] = 106_600;
    expect(catchUp({ ...base, finals: [...base.finals, 7], writeMs: w, seenAt: seen }).recoveredAtMs).toBe(113_500);
    w[7] = 106_400;
    expect(catchUp({ ...base, finals: [...base.finals, 7], writeMs: w, seenAt: seen }).recoveredAtMs).toBe(138_000);
  });

  it('is not reached while a written change is missing', () => {
    const seen = new Map(seenAll);
    seen.delete(6);
    expect(catchUp({ ...base, seenAt: seen })).toEqual({ recoveredAtMs: null, lastLateAtMs: 113_500, lateChanges: 3, missing: 1, maxLagMs: 16_000 });
    // a change not written yet is not missing
    const w = Float64Array.from(writes);
    w[6] = 0;
    expect(catchUp({ ...base, writeMs: w, seenAt: seen }).recoveredAtMs).toBe(113_500);
  });

  it('counts only the window (fromMs, toMs] and only final changes', () => {
    expect(catchUp({ ...base, toMs: 113_000, seenAt: seenAll })).toEqual({ recoveredAtMs: 112_000, lastLateAtMs: 112_000, lateChanges: 2, missing: 0, maxLagMs: 16_000 });
    expect(catchUp({ ...base, finals: [0, 4, 5, 6], seenAt: seenAll })).toEqual({ recoveredAtMs: KILL, lastLateAtMs: null, lateChanges: 0, missing: 0, maxLagMs: 6900 });
  });

  it('gives the steady lags before a fault', () => {
    expect(lagsSeenBetween(90_000, KILL, base.finals, base.writeMs, seenAll)).toEqual([4000]);
    expect(lagsSeenBetween(112_000, 114_000, base.finals, base.writeMs, seenAll).sort((a, b) => a - b)).toEqual([10_500, 15_000, 16_000]);
  });

  it('follows the lag live from the oldest change not seen yet', () => {
    const seen = new Map<number, number>();
    const w = new Float64Array(4);
    const lag = new LiveLag([0, 1, 2, 3], w, seen);
    expect(lag.at(1000)).toBe(0); // nothing written
    w[0] = 1000;
    w[1] = 2000;
    expect(lag.at(5000)).toBe(4000);
    seen.set(0, 5000);
    expect(lag.at(6000)).toBe(4000); // now from change 1, written at 2 s
    seen.set(2, 6000); // seen out of order: 1 still holds the lag
    expect(lag.at(7000)).toBe(5000);
    seen.set(1, 7000);
    expect(lag.at(7000)).toBe(0); // 3 not written yet
  });
});
