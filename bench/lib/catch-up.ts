/**
 * When did the pipeline catch up after a fault (pure; the recovery scenario feeds it).
 *
 * The end-to-end lag at time t is t minus the write time of the oldest change written but not yet
 * visible in PostgreSQL. It is above a threshold at t exactly when some change written before
 * t − threshold is seen only after t; so, after a fault, the lag is back under the threshold for good
 * at the moment the last change that took longer than the threshold became visible. That moment is
 * `recoveredAtMs`. Only changes that end up in the final state count (`finals`): a row overwritten
 * later may never be seen carrying its own seq.
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
  /** when the last late change became visible; fromMs when none was late; null while one is missing */
  recoveredAtMs: number | null;
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
  let recovered = o.fromMs;
  let late = 0;
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
    if (lag > o.thresholdMs) {
      late++;
      recovered = Math.max(recovered, s);
    }
  }
  return { recoveredAtMs: missing > 0 ? null : recovered, lateChanges: late, missing, maxLagMs: maxLag };
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
