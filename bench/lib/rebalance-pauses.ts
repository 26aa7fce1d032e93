/**
 * What a join or a leave costs a sink group, from samples of its stored offsets (pure; the
 * `sink-scale` scenario samples `_cdc_offsets` every 100 ms). Definitions (bench/README.md):
 *
 * - baseline: the group's rate (changes committed per second, all partitions) over the
 *   `baselineMs` before the event;
 * - dip: from the first 1-second window after the event whose rate is below `fraction` (50 %) of
 *   the baseline to the first later window back at or above it (0 when no window dips);
 * - eventToRecovered: from the event to the end of the dip (0 when none);
 * - groupStall: the longest time, ending after the event, in which no partition committed anything
 *   (every member stopped: the eager rebalance);
 * - partition gaps: per partition, the longest time ending after the event in which it committed
 *   nothing; the worst partition's and the median over partitions (a kill -9 leaves the dead
 *   member's partitions unread until its session times out while the others go on).
 */

export interface OffsetSample {
  /** ms (any monotonic clock) */
  t: number;
  /** Stored next offset per partition (index = partition); 0 before the first commit. */
  offsets: number[];
}

export interface EventPause {
  baselineRowsPerSec: number;
  dipMs: number | null;
  eventToRecoveredMs: number | null;
  groupStallMs: number;
  maxPartitionGapMs: number;
  medianPartitionGapMs: number;
}

const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);

/** Index of the last sample at or before `t` (-1 when none). */
function at(samples: OffsetSample[], t: number): number {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.t <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Longest interval between consecutive moves of `value` that ends in (from, to]; a value that has
 * not moved again by `to` counts up to `to` (still stopped).
 */
function longestGap(samples: OffsetSample[], value: (s: OffsetSample) => number, from: number, to: number): number {
  let lastMove = samples[0]?.t ?? from;
  let longest = 0;
  for (let i = 1; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.t > to) break;
    if (value(s) > value(samples[i - 1]!)) {
      if (s.t > from) longest = Math.max(longest, s.t - lastMove);
      lastMove = s.t;
    }
  }
  const end = Math.min(to, samples[samples.length - 1]?.t ?? to); // never past what was sampled
  return Math.max(longest, end - lastMove);
}

export function eventPause(samples: OffsetSample[], eventT: number, horizonT: number, o: { baselineMs?: number; windowMs?: number; fraction?: number } = {}): EventPause {
  const baselineMs = o.baselineMs ?? 5000;
  const windowMs = o.windowMs ?? 1000;
  const fraction = o.fraction ?? 0.5;
  const total = (t: number) => {
    const i = at(samples, t);
    return i < 0 ? 0 : sum(samples[i]!.offsets);
  };
  const baseline = ((total(eventT) - total(eventT - baselineMs)) / baselineMs) * 1000;
  let dipStart: number | null = null;
  let recovered: number | null = null;
  for (const s of samples) {
    if (s.t < eventT || s.t + windowMs > horizonT) continue;
    const rate = ((total(s.t + windowMs) - total(s.t)) / windowMs) * 1000;
    if (dipStart === null) {
      if (rate < fraction * baseline) dipStart = s.t;
    } else if (rate >= fraction * baseline) {
      recovered = s.t;
      break;
    }
  }
  const partitions = samples[0]?.offsets.length ?? 0;
  const gaps = Array.from({ length: partitions }, (_, p) => longestGap(samples, (s) => s.offsets[p] ?? 0, eventT, horizonT)).sort((a, b) => a - b);
  return {
    baselineRowsPerSec: Math.round(baseline),
    dipMs: dipStart === null ? 0 : recovered === null ? null : Math.round(recovered - dipStart),
    eventToRecoveredMs: dipStart === null ? 0 : recovered === null ? null : Math.round(recovered - eventT),
    groupStallMs: Math.round(longestGap(samples, (s) => sum(s.offsets), eventT, horizonT)),
    maxPartitionGapMs: Math.round(gaps[gaps.length - 1] ?? 0),
    medianPartitionGapMs: Math.round(gaps[Math.floor(gaps.length / 2)] ?? 0),
  };
}
