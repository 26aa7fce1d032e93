/**
 * When did the pipeline catch up after a fault (pure; the recovery scenario feeds it).
 *
 * The end-to-end lag at time t is t minus the write time of the oldest change written but not yet
 * visible in PostgreSQL. It is above a threshold at t exactly when some change s with
 * write(s) + threshold < t < seen(s) exists: the lag is over the threshold on the union of those
 * intervals, one per late change. A fault opens one such stretch (nothing becomes visible while the
 * process is down, so the lag only grows); `recoveredAtMs` is its end, the first moment after the
 * fault the lag is back under the threshold. A later, separate stretch (a slow commit on a loaded
 * box) is not the fault's: it shows in `lastLateAtMs`. Only changes that end up in the final state
 * count (`finals`): a row overwritten later may never be seen carrying its own seq.
 */

export interface CatchUpInput {
  /** the fault (epoch ms) */
  fromMs: number;
  /** the next fault, or the end of the run (epoch ms) */
  toMs: number;
  thresholdMs: number;
  /** seqs of the changes that end up in the final state */
  finals: readonly number[];
  /** write time of change seq (epoch ms; 0 = not written yet) */
  writeMs: ArrayLike<number>;
  /** seq → first time it was seen in PostgreSQL (epoch ms) */
  seenAt: ReadonlyMap<number, number>;
}

export interface CatchUp {
  /** the end of the first stretch of lag over the threshold ending after fromMs; fromMs when none; null while a change is missing */
  recoveredAtMs: number | null;
  /** when the last late change of the window became visible (the end of the last stretch) */
  lastLateAtMs: number | null;
  /** changes of this window that took longer than the threshold */
  lateChanges: number;
  /** changes written before toMs and never seen */
  missing: number;
  /** the longest write → visible time in the window (ms) */
  maxLagMs: number;
}

/**
 * The window holds the changes seen in (fromMs, toMs], and those written before toMs but never
 * seen (they make the window unrecovered).
 */
export function catchUp(o: CatchUpInput): CatchUp {
  const over: [number, number][] = []; // (write + threshold, seen) of each late change
  let missing = 0;
  let maxLag = 0;
  for (const seq of o.finals) {
    const w = o.writeMs[seq] ?? 0;
    if (!(w > 0)) continue;
    const s = o.seenAt.get(seq);
    if (s === undefined) {
      if (w < o.toMs) missing++;
      continue;
    }
    if (s <= o.fromMs || s > o.toMs) continue;
    const lag = s - w;
    maxLag = Math.max(maxLag, lag);
    if (lag > o.thresholdMs) over.push([w + o.thresholdMs, s]);
  }
  over.sort((a, b) => a[0] - b[0]);
  let recovered: number | null = null;
  let end = -Infinity;
  for (const [from, to] of over) {
    if (from > end && end > o.fromMs) break; // a new stretch begins after the fault's one ended
    end = Math.max(end, to);
  }
  if (over.length > 0) recovered = end > o.fromMs ? end : o.fromMs;
  const last = over.reduce<number | null>((m, [, to]) => (m === null || to > m ? to : m), null);
  return { recoveredAtMs: missing > 0 ? null : (recovered ?? o.fromMs), lastLateAtMs: last, lateChanges: over.length, missing, maxLagMs: maxLag };
}

/** write → visible times (ms) of the changes first seen in [fromMs, toMs): the steady state before a fault. */
export function lagsSeenBetween(fromMs: number, toMs: number, finals: readonly number[], writeMs: ArrayLike<number>, seenAt: ReadonlyMap<number, number>): number[] {
  const out: number[] = [];
  for (const seq of finals) {
    const s = seenAt.get(seq);
    const w = writeMs[seq] ?? 0;
    if (s !== undefined && w > 0 && s >= fromMs && s < toMs) out.push(s - w);
  }
  return out;
}

/**
 * The live lag: now minus the write time of the oldest final change not seen yet. `floor` is the
 * index into the sorted finals below which every change was seen; it only moves forward.
 */
export class LiveLag {
  private floor = 0;
  constructor(
    private readonly finals: readonly number[],
    private readonly writeMs: ArrayLike<number>,
    private readonly seenAt: ReadonlyMap<number, number>,
  ) {}

  at(nowMs: number): number {
    while (this.floor < this.finals.length && this.seenAt.has(this.finals[this.floor]!)) this.floor++;
    const oldest = this.finals[this.floor];
    const w = oldest === undefined ? 0 : (this.writeMs[oldest] ?? 0);
    return w > 0 ? Math.max(0, nowMs - w) : 0;
  }
}
