/**
 * Commits PostgreSQL acknowledged and then lost. The sink trusts its in-memory committed offsets
 * between assignments; they match `_cdc_offsets` as long as every acknowledged COMMIT survives.
 * It does not when `SINK_SYNCHRONOUS_COMMIT=off` meets a PostgreSQL crash (the last commits were
 * acknowledged before their WAL reached disk), nor after a failover to a standby that had not
 * received them, nor after a restore. The rows and the offsets of such a transaction vanish
 * together, so replaying from the stored offsets restores them exactly; the danger is not
 * noticing: a partition that receives nothing new would never be re-read.
 *
 * A partition has lost commits when nobody newer took it (the stored epoch is not above ours) and
 * PostgreSQL holds an offset below the one we saw committed, or has lost our claim itself (an
 * older epoch). The caller reads `committed` BEFORE querying the stored rows, so a commit
 * acknowledged in between can only make the stored value larger.
 */
import { tpKey, type TopicPartitionKey } from './offset-tracker.js';

export interface StoredOffset {
  topic: string;
  partition: number;
  next: bigint | null;
  generation: bigint;
}

export interface LostCommit {
  topic: string;
  partition: number;
  /** The offset this process saw committed. */
  committed: bigint;
  /** What PostgreSQL holds now (null: the row's offset is gone too). */
  stored: bigint | null;
}

export function lostCommits(committed: ReadonlyMap<TopicPartitionKey, bigint>, generations: ReadonlyMap<TopicPartitionKey, bigint>, stored: StoredOffset[]): LostCommit[] {
  const out: LostCommit[] = [];
  for (const s of stored) {
    const tp = tpKey(s.topic, s.partition);
    const ours = committed.get(tp);
    const generation = generations.get(tp);
    if (ours === undefined || generation === undefined || s.generation > generation) continue; // a newer owner: fencing's case
    if (s.generation < generation || s.next === null || s.next < ours) out.push({ topic: s.topic, partition: s.partition, committed: ours, stored: s.next });
  }
  return out;
}
