/**
 * Why each partition is paused. Three parts of the sink pause partitions for unrelated reasons: the
 * in-flight memory bound (`memory`, released when commits free room), a stored offset held under
 * SINK_OFFSET_RESET=fail (`held`, released by `offsets ack`), and the operator's `pause --table`
 * (`operator`, released by `resume`); the drain pauses everything (`drain`). kafkajs keeps one
 * paused flag per partition, so whoever resumed first would undo the others' pause: the memory bound
 * resuming a table the operator paused, or `resume` un-holding a partition with a broken offset.
 * The gate keeps the set of reasons per partition and lets the consumer be resumed only when the
 * last one goes.
 *
 * Pure: the caller pauses the consumer when `add` says the partition just became paused and resumes
 * it when `remove` says no reason is left.
 */
import type { TopicPartitionKey } from './offset-tracker.js';

export type PauseReason = 'memory' | 'held' | 'operator' | 'drain';

export class PartitionGate {
  private readonly reasons = new Map<TopicPartitionKey, Set<PauseReason>>();

  /** Records `reason`; true when the partition was not paused before (the consumer must pause it). */
  add(tp: TopicPartitionKey, reason: PauseReason): boolean {
    const set = this.reasons.get(tp);
    if (set) {
      set.add(reason);
      return false;
    }
    this.reasons.set(tp, new Set([reason]));
    return true;
  }

  /** Drops `reason`; true when it was the last one (the consumer must resume the partition). */
  remove(tp: TopicPartitionKey, reason: PauseReason): boolean {
    const set = this.reasons.get(tp);
    if (!set?.delete(reason)) return false;
    if (set.size > 0) return false;
    this.reasons.delete(tp);
    return true;
  }

  has(tp: TopicPartitionKey, reason?: PauseReason): boolean {
    const set = this.reasons.get(tp);
    return set !== undefined && (reason === undefined || set.has(reason));
  }

  /** Partitions paused for `reason`. */
  with(reason: PauseReason): TopicPartitionKey[] {
    return [...this.reasons].filter(([, s]) => s.has(reason)).map(([tp]) => tp);
  }

  /** Every paused partition, whatever the reason. */
  all(): TopicPartitionKey[] {
    return [...this.reasons.keys()];
  }

  /** A new kafkajs consumer starts with nothing paused. */
  clear(): void {
    this.reasons.clear();
  }
}
