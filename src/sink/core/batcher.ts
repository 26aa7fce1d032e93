/**
 * Accumulates decoded changes per table and decides when a table batch is flushed. Flush rules:
 * - size: SINK_BATCH_SIZE changes — bounds the transaction and the staging table;
 * - age: SINK_BATCH_MAX_WAIT_MS since the batch's first change;
 * - idle lane: the flusher closes a batch at once when nothing of its flush lane is being written or
 *   waiting and no fetch is being decoded (`closeWhere`), so a steady stream is not held for its
 *   age, while a backlog (fetches always in decoding) still fills batches to size or age;
 * - schema change: a change whose key/value schema ids differ from the batch's — one staging layout
 *   per batch, and the table is evolved before the newer rows are applied.
 * Batches are also cut per flush lane (flush-lanes.ts): lanes of one table are written concurrently.
 */
import { sameSchemas, type SchemaIds } from './decode-record.js';
import type { PackedChange } from './packed-change.js';
import type { LaneSlot } from './flush-lanes.js';

/** A batch of one topic, table and flush lane (flush-lanes.ts). */
export interface TableBatch extends LaneSlot {
  id: number;
  table: string;
  schemaIds: SchemaIds;
  changes: PackedChange[];
  bytes: number;
  startedAt: number;
}

export type FlushReason = 'size' | 'age' | 'schema' | 'drain';

export class Batcher {
  private readonly open = new Map<string, TableBatch>();
  private nextId = 1;

  constructor(private readonly opts: { maxSize: number; maxWaitMs: number }) {}

  /** Adds a change of a partition of flush lane `lane`; returns the id of the batch that holds it and the batches that became ready. */
  add(change: PackedChange, now: number, lane = 0): { batchId: number; ready: { batch: TableBatch; reason: FlushReason }[] } {
    const ready: { batch: TableBatch; reason: FlushReason }[] = [];
    // One topic per batch: SINK_TABLE_MAP's {topic} and the topic's {keyspace} hold for all its changes.
    const key = `${change.ref.topic}\u0000${change.table}\u0000${lane}`;
    let b = this.open.get(key);
    if (b && !sameSchemas(b.schemaIds, change.schemaIds)) {
      this.open.delete(key);
      ready.push({ batch: b, reason: 'schema' });
      b = undefined;
    }
    if (!b) {
      b = { id: this.nextId++, topic: change.ref.topic, table: change.table, lane, alone: false, schemaIds: change.schemaIds, changes: [], bytes: 0, startedAt: now };
      this.open.set(key, b);
    }
    // Reaches rows of other keys, which other partitions (other lanes) may hold: flushed alone among its table's batches.
    if (change.kind === 'partition_delete' || change.kind === 'range_delete' || change.kind === 'static_row') b.alone = true;
    b.changes.push(change);
    b.bytes += change.bytes;
    if (b.changes.length >= this.opts.maxSize) {
      this.open.delete(key);
      ready.push({ batch: b, reason: 'size' });
    }
    return { batchId: b.id, ready };
  }

  /** Batches whose age reached the limit. */
  due(now: number): TableBatch[] {
    const out: TableBatch[] = [];
    for (const [key, b] of this.open) {
      if (now - b.startedAt >= this.opts.maxWaitMs) {
        this.open.delete(key);
        out.push(b);
      }
    }
    return out;
  }

  /** Closes the open batches `free` accepts (the flusher: those whose lane is idle), oldest first. */
  closeWhere(free: (b: TableBatch) => boolean): TableBatch[] {
    const out: TableBatch[] = [];
    for (const [key, b] of this.open) {
      if (!free(b)) continue;
      this.open.delete(key);
      out.push(b);
    }
    return out;
  }

  /** Milliseconds until the oldest open batch is due (undefined when none is open). */
  nextDueIn(now: number): number | undefined {
    let min: number | undefined;
    for (const b of this.open.values()) {
      const left = Math.max(0, b.startedAt + this.opts.maxWaitMs - now);
      min = min === undefined ? left : Math.min(min, left);
    }
    return min;
  }

  drain(): TableBatch[] {
    const out = [...this.open.values()];
    this.open.clear();
    return out;
  }

  /** Forget everything (rebalance: uncommitted work is re-read from the stored offsets). */
  clear(): void {
    this.open.clear();
  }

  get openCount(): number {
    return this.open.size;
  }
}
