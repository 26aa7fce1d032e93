/**
 * Which offsets may be committed. A partition's offset can move to N only when every record below
 * N is either applied in a committed batch, dead-lettered (acked), or skipped. Batches are per
 * table, so a partition may have records pending in several batches: its committable offset is the
 * first offset still pending in a batch that is not committing now, else the routed watermark.
 */
export type TopicPartitionKey = string;

export const tpKey = (topic: string, partition: number): TopicPartitionKey => `${topic}\u0000${partition}`;
export const tpOf = (k: TopicPartitionKey): { topic: string; partition: number } => {
  const i = k.lastIndexOf('\u0000');
  return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
};

export class OffsetTracker {
  /** Next offset after everything routed (to a batch, the DLQ, or skipped). */
  private readonly routed = new Map<TopicPartitionKey, bigint>();
  private readonly committed = new Map<TopicPartitionKey, bigint>();
  private readonly pending = new Map<number, Map<TopicPartitionKey, bigint>>();

  assign(tp: TopicPartitionKey, next: bigint): void {
    this.routed.set(tp, next);
    this.committed.set(tp, next);
  }

  isAssigned(tp: TopicPartitionKey): boolean {
    return this.routed.has(tp);
  }

  nextExpected(tp: TopicPartitionKey): bigint | undefined {
    return this.routed.get(tp);
  }

  route(tp: TopicPartitionKey, next: bigint): void {
    const cur = this.routed.get(tp);
    if (cur === undefined || next > cur) this.routed.set(tp, next);
  }

  hold(batchId: number, tp: TopicPartitionKey, offset: bigint): void {
    let m = this.pending.get(batchId);
    if (!m) this.pending.set(batchId, (m = new Map()));
    const cur = m.get(tp);
    if (cur === undefined || offset < cur) m.set(tp, offset);
  }

  release(batchId: number): void {
    this.pending.delete(batchId);
  }

  /**
   * Offsets that become committable once the batches `committing` commit, of the partitions `only`
   * accepts (a flush lane's own: flush-lanes.ts), or of all.
   */
  plan(committing: number[], only?: (tp: TopicPartitionKey) => boolean): Map<TopicPartitionKey, bigint> {
    const skip = new Set(committing);
    const out = new Map<TopicPartitionKey, bigint>();
    for (const [tp, routed] of this.routed) {
      if (only && !only(tp)) continue;
      let next = routed;
      for (const [id, m] of this.pending) {
        if (skip.has(id)) continue;
        const first = m.get(tp);
        if (first !== undefined && first < next) next = first;
      }
      if (next > (this.committed.get(tp) ?? -1n)) out.set(tp, next);
    }
    return out;
  }

  markCommitted(offsets: Map<TopicPartitionKey, bigint>): void {
    for (const [tp, o] of offsets) if (this.routed.has(tp)) this.committed.set(tp, o);
  }

  committedOffsets(): Map<TopicPartitionKey, bigint> {
    return new Map(this.committed);
  }

  clear(): void {
    this.routed.clear();
    this.committed.clear();
    this.pending.clear();
  }
}
