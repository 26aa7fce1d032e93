/**
 * Does a stored offset still point into the log it was taken from? Pure decisions for the sink's
 * assignment (and for a jump seen while consuming).
 *
 * A stored `next_offset` is only meaningful for the log it was read from. Kafka gives two signs that
 * the log changed under it: the topic id (KIP-516), which a delete + create changes, and the
 * partition's offset range `[low, high)`:
 * - `next > high`: the log is shorter than what was applied: the topic was recreated (or truncated
 *   by an unclean leader election). Every record now in the log is unread.
 * - `next < low`: retention (or `deleteRecords`) removed records before the sink read them: those
 *   changes never reached PostgreSQL. Reading goes on from `low`; the loss is reported.
 * kafkajs alone would reset such a partition to its default offset and carry on silently, or (for a
 * recreated topic with more records than the stored offset) skip everything below it.
 */

export type OffsetResetPolicy = 'earliest' | 'fail';
export type ResetReason = 'topic-recreated' | 'retention-gap';

export interface StoredPosition {
  next: bigint | null;
  topicId: string | null;
}

export interface LogPosition {
  low: bigint;
  high: bigint;
  /** null when the broker or client cannot tell. */
  topicId: string | null;
}

export type OffsetDecision =
  | { kind: 'resume'; from: bigint }
  | { kind: 'reset'; from: bigint; reason: ResetReason; lost: bigint | null; detail: string }
  | { kind: 'hold'; reason: ResetReason; lost: bigint | null; detail: string };

export interface Mismatch {
  reason: ResetReason;
  lost: bigint | null;
  detail: string;
}

/** What is wrong with `stored` against `log`, or null when it points into the same log. */
export function findMismatch(stored: StoredPosition, log: LogPosition): Mismatch | null {
  if (stored.next === null) return null;
  if (stored.topicId !== null && log.topicId !== null && stored.topicId !== log.topicId) {
    return {
      reason: 'topic-recreated',
      lost: null,
      detail: `topic id changed from ${stored.topicId} to ${log.topicId} (the topic was deleted and recreated, or this is another cluster)`,
    };
  }
  if (stored.next > log.high) {
    return { reason: 'topic-recreated', lost: null, detail: `stored offset ${stored.next} is beyond the log end ${log.high} (the topic was recreated or truncated)` };
  }
  if (stored.next < log.low) {
    const lost = log.low - stored.next;
    return { reason: 'retention-gap', lost, detail: `stored offset ${stored.next} is below the log start ${log.low}: ${lost} offsets were removed before they were read` };
  }
  return null;
}

/**
 * Where to read from. `acknowledged`: an operator acknowledged this very mismatch of a held
 * partition (`offsets ack`), so it proceeds as with `earliest`.
 */
export function decideStart(stored: StoredPosition, log: LogPosition, policy: OffsetResetPolicy, acknowledged: boolean): OffsetDecision {
  const m = findMismatch(stored, log);
  if (m === null) return { kind: 'resume', from: stored.next ?? log.low };
  if (policy === 'fail' && !acknowledged) return { kind: 'hold', ...m };
  return { kind: 'reset', from: log.low, ...m };
}

/**
 * While consuming: the first record of a fetch is at `first` although `expected` was next. Offsets
 * skipped by transaction markers and aborted records are normal; a gap exists only when the log now
 * starts after `expected`. Returns the number of offsets lost (0 if none).
 */
export function lostBeforeJump(expected: bigint, first: bigint, low: bigint): bigint {
  const end = low < first ? low : first;
  return end > expected ? end - expected : 0n;
}
