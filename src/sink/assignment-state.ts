/**
 * Everything the sink holds for one partition assignment: fetch positions, claimed generations,
 * in-flight record bytes, open and ready table batches, offsets and paused partitions. A rebalance or
 * a fence drops the object (`dropped`) and starts a fresh one, so work still running for the old
 * assignment sees it is no longer current and discards itself: nothing uncommitted survives, it is
 * re-read from the offsets stored in PostgreSQL.
 */
import { Batcher, type TableBatch } from './core/batcher.js';
import { OffsetTracker, type TopicPartitionKey } from './core/offset-tracker.js';
import { InflightRecords } from './inflight-records.js';

export class AssignmentState {
  /** Set once a newer assignment replaced this one. */
  dropped = false;
  /** Aborted with `drop()`: decode jobs still queued for this assignment are not run (their records are re-read by the new one). */
  private readonly cancel = new AbortController();
  readonly cancelled: AbortSignal = this.cancel.signal;
  /** Set by the first flush lane found fenced: the others leave the rejoin to it. */
  fenced = false;
  readonly tracker = new OffsetTracker();
  /** Next offset to take from each partition's fetches (past what was handed to decoding). */
  readonly fetched = new Map<TopicPartitionKey, bigint>();
  /** Generation claimed per partition: fences the offsets commit. */
  readonly generation = new Map<TopicPartitionKey, bigint>();
  /** Flush lane of each partition (core/flush-lanes.ts), dealt at assignment. */
  lanes = new Map<TopicPartitionKey, number>();
  readonly records = new InflightRecords();
  readonly batcher: Batcher;
  /** Closed table batches, flushed in order. */
  readonly ready: TableBatch[] = [];
  /** Partitions paused because in-flight bytes passed SINK_MAX_INFLIGHT_BYTES. */
  readonly paused = new Set<TopicPartitionKey>();
  /** Fetches being decoded or waiting to be routed: while some are, an open batch keeps filling (flusher.ts, early close). */
  decoding = 0;
  /** Decoded jobs are routed in submission order: each link waits for the one before. */
  routed: Promise<void> = Promise.resolve();

  constructor(batching: { maxSize: number; maxWaitMs: number }) {
    this.batcher = new Batcher(batching);
  }

  drop(): void {
    this.dropped = true;
    this.cancel.abort();
  }
}
