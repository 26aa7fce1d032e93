/**
 * Health that means progress (README "Stalled replication"). A sink can be up, connected and
 * "healthy" while nothing reaches PostgreSQL: a lock held on a target table, a batch retried
 * forever, a consumer that silently stopped fetching. What tells is the offsets: a partition
 * that has records to read (log end, read_committed, above the sink's committed offset) but whose
 * committed offset has not moved for the stall timeout is stalled. Optionally, a partition whose lag
 * stays above a bound without shrinking for the same time is falling behind.
 *
 * Pure: fed with samples (time, committed offset, log end) by the sink's lag timer.
 */
export interface PartitionSample {
  /** `topic/partition`, as shown to operators. */
  name: string;
  /** The sink's committed (PostgreSQL) next offset. */
  committed: bigint;
  /** Log end offset as a read_committed consumer sees it (last stable offset). */
  end: bigint;
  /**
   * The operator paused its table (`scylla-pg-cdc pause`): its lag grows by design, so it is never
   * stalled nor falling behind; it is forgotten, and judged afresh from its resume on.
   */
  paused?: boolean;
}

export interface StallOptions {
  /** A partition with lag whose committed offset does not move for this long is stalled. */
  timeoutMs: number;
  /** Lag (records) above which a partition must be shrinking within timeoutMs; 0 = not checked. */
  maxLag: number;
}

interface Track {
  committed: bigint;
  /** Since when the partition has had lag at this committed offset (undefined: no lag). */
  waitingSince: number | undefined;
  /** Since when the lag has been above maxLag without shrinking below `overLag`. */
  overSince: number | undefined;
  overLag: bigint;
  lag: bigint;
}

export class StallDetector {
  private readonly tracks = new Map<string, Track>();
  private now = 0;

  constructor(private readonly opts: StallOptions) {}

  /** One sample of every assigned partition; partitions not in it (revoked) or paused are forgotten. */
  observe(now: number, samples: PartitionSample[]): void {
    this.now = now;
    const seen = new Set<string>();
    for (const s of samples) {
      if (s.paused) continue;
      seen.add(s.name);
      const lag = s.end > s.committed ? s.end - s.committed : 0n;
      let t = this.tracks.get(s.name);
      if (!t) this.tracks.set(s.name, (t = { committed: s.committed, waitingSince: undefined, overSince: undefined, overLag: 0n, lag }));
      if (s.committed !== t.committed || lag === 0n) t.waitingSince = undefined;
      if (lag > 0n && t.waitingSince === undefined) t.waitingSince = now;
      t.committed = s.committed;
      t.lag = lag;
      if (this.opts.maxLag <= 0 || lag <= BigInt(this.opts.maxLag)) t.overSince = undefined;
      else if (t.overSince === undefined || lag < t.overLag) {
        t.overSince = now;
        t.overLag = lag;
      }
    }
    for (const k of [...this.tracks.keys()]) if (!seen.has(k)) this.tracks.delete(k);
  }

  /** Why replication is not progressing, one line per partition; empty = progressing (or idle). */
  reasons(): string[] {
    const out: string[] = [];
    const secs = (ms: number) => `${Math.round(ms / 1000)} s`;
    for (const [name, t] of this.tracks) {
      if (t.waitingSince !== undefined && this.now - t.waitingSince >= this.opts.timeoutMs) {
        out.push(
          `${name}: stalled: ${t.lag} records to apply but the committed offset has stayed at ${t.committed} for ${secs(this.now - t.waitingSince)} (SINK_STALL_TIMEOUT_MS=${this.opts.timeoutMs}); see the sink's log and PostgreSQL locks (pg_locks)`,
        );
      } else if (t.overSince !== undefined && this.now - t.overSince >= this.opts.timeoutMs) {
        out.push(`${name}: falling behind: lag ${t.lag} records, above SINK_STALL_MAX_LAG=${this.opts.maxLag} and not shrinking for ${secs(this.now - t.overSince)}`);
      }
    }
    return out;
  }
}
