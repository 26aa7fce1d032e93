/**
 * Flush lanes (SINK_FLUSH_CONCURRENCY): which table batches may be written at the same time, each in
 * its own PostgreSQL transaction. Pure; the flusher (flusher.ts) does the I/O.
 *
 * A lane is a fixed share of the assigned partitions, as a second sink of the group would hold:
 * batches are cut per topic, table and lane (batcher.ts), one batch per lane is written at a time,
 * in order, and a lane's transaction carries only its own partitions' offsets. So no two concurrent
 * transactions write the same `_cdc_offsets` row, and a partition's batches commit in offset order.
 *
 * Why disjoint partitions mean disjoint rows: the source puts every change of a Scylla partition in
 * the Kafka partition of its partition key (src/source/slot-worker.ts, `partitionFor`), and the
 * Kafka Connect Scylla connector keys records by the whole primary key (one key, one partition).
 * Two batches of one topic in different lanes therefore never hold the same primary key, and the
 * per-cell version guard makes their relative order irrelevant. What lanes must still keep apart:
 * - two topics writing one target table (two consumed topics of the same source table; SINK_TABLE_MAP
 *   cannot merge two source tables: table-manager.ts refuses it, so one target table is one `table`
 *   name here): their partitions say nothing about each other's keys;
 * - a batch holding a partition delete, a range delete or a static-row change (`alone`): it reaches
 *   rows of other keys, which a full-key-partitioned topic puts in other partitions; and a MERGE
 *   whose matched row such a DELETE removes concurrently goes on with its NOT MATCHED action, judged
 *   against its own older snapshot of the tombstones (PostgreSQL 15 manual, 13.2.1 "Read Committed
 *   Isolation Level"), so it could bring back a row the delete removed;
 * - a batch that met a unique violation while other lanes of its table were flushing (`alone` is
 *   set then): MERGE raises 23505 when a concurrent transaction inserts the same key (same
 *   section), which would otherwise read as the record's fault. That can only happen when a
 *   producer put one key in two partitions (e.g. after the topic's partition count grew).
 * Those run alone among the batches of their table.
 */
import { tpKey, type TopicPartitionKey } from './offset-tracker.js';

export interface LaneSlot {
  topic: string;
  table: string;
  lane: number;
  /** No other batch of the same table may be written meanwhile. */
  alone: boolean;
}

/**
 * Deals the partitions out round-robin in (topic, partition) order, so each topic's partitions
 * spread over every lane whatever subset of them this sink of the group was given.
 */
export function assignLanes(partitions: readonly { topic: string; partition: number }[], lanes: number): Map<TopicPartitionKey, number> {
  const sorted = [...partitions].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const out = new Map<TopicPartitionKey, number>();
  sorted.forEach((p, i) => out.set(tpKey(p.topic, p.partition), i % Math.max(1, lanes)));
  return out;
}

/** Whether `a` and `b` must not be written at the same time. */
export function conflicts(a: LaneSlot, b: LaneSlot): boolean {
  if (a.lane === b.lane) return true; // one lane's batches commit in order; its offset rows are shared
  if (a.table !== b.table) return false;
  return a.topic !== b.topic || a.alone || b.alone;
}

/**
 * The index in `ready` (oldest first) of the batch to start now, or -1: at most `limit` running,
 * none conflicting with a running batch, nor with an older ready batch left waiting (so batches that
 * conflict start in the order they closed).
 */
export function nextRunnable(ready: readonly LaneSlot[], running: readonly LaneSlot[], limit: number): number {
  if (running.length >= limit) return -1;
  const ahead: LaneSlot[] = [...running];
  for (let i = 0; i < ready.length; i++) {
    const b = ready[i]!;
    if (!ahead.some((r) => conflicts(r, b))) return i;
    ahead.push(b);
  }
  return -1;
}

/**
 * For `Batcher.closeWhere`: accepts an open batch when nothing it conflicts with is running or
 * waiting in `busy` (its lane is idle), and then counts it as busy itself, so a lane gets one batch
 * closed at a time and the others keep filling while it is written.
 */
export function idleLane(busy: readonly LaneSlot[]): (b: LaneSlot) => boolean {
  const taken = [...busy];
  return (b) => {
    if (taken.some((r) => conflicts(r, b))) return false;
    taken.push(b);
    return true;
  };
}

/** The partitions whose offsets a commit may carry: those of `lanes` (a partition never dealt counts as lane 0). */
export function lanePartitions(assigned: ReadonlyMap<TopicPartitionKey, number>, lanes: ReadonlySet<number>): (tp: TopicPartitionKey) => boolean {
  return (tp) => lanes.has(assigned.get(tp) ?? 0);
}
